"""What each staff role may do with the recall catalogue (see ``core.roles``)."""

from core.roles import SUPERVISOR, Grants

GRANTS: Grants = {
    SUPERVISOR: [
        f"{action}_{model}"
        for model in ["productmodel", "recall", "marketrule", "recalledbatch", "batchmarket", "serialrange"]
        for action in ["view", "add", "change", "delete"]
    ]
    + ["view_recalledserial"],
}
