"""What each staff role may do with claims (see ``core.roles``)."""

from core.roles import SUPERVISOR, SUPPORT_AGENT, Grants

_AGENT = [
    "view_claim",
    "review_claim",
    "view_claimdocument",
    "view_claimevent",
    "view_claimflag",
    "view_replytemplate",
]
GRANTS: Grants = {
    SUPPORT_AGENT: _AGENT,
    SUPERVISOR: [
        *_AGENT,
        "retry_work",
        "add_replytemplate",
        "change_replytemplate",
        "view_reviewsettings",
        "change_reviewsettings",
    ],
}
