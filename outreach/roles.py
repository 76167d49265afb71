"""What each staff role may do with known owners and recall notices (see ``core.roles``): contact data
is for supervisors only."""

from core.roles import SUPERVISOR, Grants

GRANTS: Grants = {
    SUPERVISOR: [
        "view_knownowner",
        "view_campaign",
        "change_campaign",
        "add_campaign",
        "run_campaign",
        "view_wave",
        "view_notice",
    ],
}
