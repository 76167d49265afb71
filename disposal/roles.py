"""What each staff role may do with recycling centres (see ``core.roles``)."""

from core.roles import SUPERVISOR, Grants

GRANTS: Grants = {
    SUPERVISOR: [
        *[f"{action}_recyclingfacility" for action in ["view", "add", "change"]],
        *[f"{action}_facilitycertification" for action in ["view", "add", "change", "delete"]],
        "view_disposalconfirmation",
    ],
}
