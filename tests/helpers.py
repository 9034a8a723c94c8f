"""What many test files share: the period the small fixture is hand-computed for, and the
in-memory release database built from it (tests/conftest.py :: release_db)."""

from __future__ import annotations

from dataclasses import dataclass

from pmhc import definitions, metrics
from pmhc.config import AgencyConfig
from pmhc.periods import Period

# January–February 2024: every figure of tests/fixtures/small is computed by hand for it
# (tests/test_metrics.py).
JAN_FEB = metrics.Filters(Period.months("2024-01", "2024-02"))
# The same period as the dashboard's URL parameters (?period=months&from=2024-01&to=2024-02).
JAN_FEB_PARAMS = {"period": "months", "from": "2024-01", "to": "2024-02"}


@dataclass
class ReleaseDb:
    """The small fixture loaded in memory with its own config and assumptions: what the
    privacy release and the reports are built from."""

    con: object
    cfg: AgencyConfig
    assumptions: metrics.Assumptions

    @property
    def headline_figures(self) -> list[definitions.Figure]:
        return [f for f in definitions.figures(self.cfg.repeat_windows_days, self.cfg.repeat_min_contacts)
                if f.headline]
