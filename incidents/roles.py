"""What each staff role may do with incidents (see ``core.roles``). Agents read the reports (a customer
on the phone about a claim may mention one) but do not triage: the severity, the report to the
regulator and its reference are the supervisors' to decide and sign for."""

from core.roles import SUPERVISOR, SUPPORT_AGENT, Grants

GRANTS: Grants = {
    SUPPORT_AGENT: ["view_incident"],
    SUPERVISOR: ["view_incident", "change_incident"],
}
