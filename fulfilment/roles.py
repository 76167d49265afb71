"""What each staff role may do with the remedies issued (see ``core.roles``)."""

from core.roles import SUPERVISOR, SUPPORT_AGENT, Grants

_AGENT = ["view_giftcard", "view_replacement"]
GRANTS: Grants = {SUPPORT_AGENT: _AGENT, SUPERVISOR: [*_AGENT, "view_refund", "export_refunds"]}
