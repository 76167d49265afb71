"""What each staff role may do with recycling centres (see ``core.roles``)."""

from core.roles import SUPERVISOR, SUPPORT_AGENT, Grants

GRANTS: Grants = {
    SUPERVISOR: [
        *[f"{action}_recyclingfacility" for action in ["view", "add", "change"]],
        *[f"{action}_facilitycertification" for action in ["view", "add", "change", "delete"]],
        "view_disposalconfirmation",
        "view_returnkit",
    ],
    # Agents watch the return kits: a kit shipped whose unit has not arrived is followed up.
    SUPPORT_AGENT: ["view_returnkit"],
}
