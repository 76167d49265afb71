"""What each staff role may do with the reports (see ``core.roles``)."""

from core.roles import SUPERVISOR, Grants

GRANTS: Grants = {
    SUPERVISOR: [
        "view_recall_report",
        "lock_monthly_report",
        "view_stockcount",
        "add_stockcount",
        "change_stockcount",
        "view_monthlyreportlock",
    ],
}
