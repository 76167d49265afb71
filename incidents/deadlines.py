"""The regulators' reporting deadlines for a serious incident (a fire, an explosion, someone hurt), per
market. They run from when the programme learnt of the incident (``Incident.created_at``) and are met
once the report is filed (its regulator reference, or the incident marked reported).

- US: CPSC, Consumer Product Safety Act section 15(b): within 24 hours.
- EU and EEA: GPSR (Regulation (EU) 2023/988) Art. 20, the accident notice through the Safety Business
  Gateway "without undue delay": the programme sets itself 2 days.
- JP: the serious product accident report to the Consumer Affairs Agency: within 10 days.
- CA: Canada Consumer Product Safety Act section 14: an incident report within 2 days.
- GB and CH: their product-safety rules ask for notice "forthwith": 2 days, as the EU's.
- Any other country: 2 days. No rule is known here, so the programme keeps the shortest it sets itself
  for a notice "without undue delay" rather than the longest (Japan's 10 days): a deadline kept too early
  costs a day of work, one missed costs a fine and a fire nobody heard of.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

EU_EEA = frozenset(
    {
        *("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU"),
        *("IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"),
        *("IS", "LI", "NO"),  # the EEA beyond the EU
    }
)


@dataclass(frozen=True)
class ReportingRule:
    rule: str  # the duty, as supervisors read it
    within: datetime.timedelta


US_RULE = ReportingRule("CPSC section 15(b) report (US)", datetime.timedelta(hours=24))
EU_RULE = ReportingRule("GPSR Art. 20 accident notice (EU/EEA)", datetime.timedelta(days=2))
JP_RULE = ReportingRule("Serious product accident report (JP)", datetime.timedelta(days=10))
CA_RULE = ReportingRule("CCPSA section 14 incident report (CA)", datetime.timedelta(days=2))
FORTHWITH_RULE = ReportingRule("Product safety notice, forthwith", datetime.timedelta(days=2))
DEFAULT_RULE = ReportingRule("Regulator notice (programme's own 2 days)", datetime.timedelta(days=2))

_BY_COUNTRY = {"US": US_RULE, "JP": JP_RULE, "CA": CA_RULE, "GB": FORTHWITH_RULE, "CH": FORTHWITH_RULE}


def reporting_rule(country: str) -> ReportingRule:
    """The reporting duty of a serious incident in ``country`` (an alpha-2 code)."""
    if country in EU_EEA:
        return EU_RULE
    return _BY_COUNTRY.get(country, DEFAULT_RULE)
