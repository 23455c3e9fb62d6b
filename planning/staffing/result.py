"""What a staffing search answers: the result, its progress reports, and their JSON form.

Kept apart from the search itself so the views of an answer (recruitment
dates, charts, the brief) depend on the answer's shape, not on how it was found.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

PHASES = ("start", "ceiling", "search", "confirm", "report", "done")
"""The phases of a staffing search in the order they come (``SearchProgress.phase``)."""


@dataclass(frozen=True)
class SearchProgress:
    """A progress report: the phase (one of :data:`PHASES`), a plain-words line, and the
    work done so far.

    ``fraction`` (0 to 1) and ``seconds_left`` are estimates (see
    :class:`planning.staffing.control.WorkPlan`): the replications the search still expects
    to run, at the rate seen so far; None before there is anything to go on."""

    phase: str
    message: str
    evaluations: int
    replications_run: int
    fraction: float | None = None
    seconds_left: float | None = None


@dataclass
class StaffingResult:
    """The answer of :func:`search_staffing`, with everything needed to trust and explain it.

    ``sequential`` says each candidate got only the replications its verdict needed (the
    group-sequential test, :mod:`planning.staffing.sequential`); ``replications`` is then
    the most any candidate could get. ``replications_reused`` counts replications taken
    from the cache of earlier searches instead of simulated.

    ``repaired`` says the per-role floors together missed the targets (roles interact), so
    the greedy repair, pruning and exchange steps ran.

    ``current`` and ``recommended`` map every searched role to FTE (``current`` is the FTE in
    post at the start, or on ``from_date``); costs are GBP a year over all roles with a cost
    (roles not searched count at today's FTE in both). ``searched`` is the answer under the
    search seed, before confirmation with fresh seeds; ``recommended`` is the confirmed one.
    ``targets_current`` and ``targets_recommended`` are shaped like
    ``RunResults.target_status()`` (plus ``bound`` and ``shortfall``), both from the final
    fresh seed with ``confirmation_replications`` replications (paired: common random
    numbers); ``targets_recommended.basis`` says "all seeds" for a target whose verdict was
    noise-dominated and taken on the replications of every seed together (see
    docs/staffing.md). ``tradeoff`` has one row per (FTE of the trade-off role, target)."""

    scenario_name: str
    roles: list[str]
    current: dict[str, float]
    recommended: dict[str, float]
    searched: dict[str, float]
    cost_current: float
    cost_recommended: float
    targets_current: pd.DataFrame
    targets_recommended: pd.DataFrame
    tradeoff: pd.DataFrame
    binding_target: str | None
    binding_role: str | None
    tradeoff_role: str | None
    feasible: bool
    confirmed: bool
    message: str
    evaluations: int
    replications: int
    confirmation_replications: int
    replications_run: int
    seed: int
    confirmation_seed: int
    confidence: float
    precision: float
    unachievable: list[str]
    ranges: pd.DataFrame
    analytic: pd.DataFrame
    precision_table: pd.DataFrame
    step_down: pd.DataFrame
    from_date: dt.date | None = None
    notes: list[str] = field(default_factory=list)
    repaired: bool = False
    workforce: pd.DataFrame | None = None  # posts vs FTE in post (planning.staffing.establishment)
    sequential: bool = False
    replications_reused: int = 0

    @property
    def brute_force_evaluations(self) -> int:
        """Staffings a brute-force grid over the same ranges would have to simulate."""
        size = 1
        for row in self.ranges.to_dict(orient="records"):
            size *= round((row["ceiling"] - row["floor"]) / row["step"]) + 1
        return size

    def recommendation_table(self) -> pd.DataFrame:
        """Per searched role: FTE today and recommended, the change, and their yearly costs."""
        rows = []
        for row in self.ranges.to_dict(orient="records"):
            role = row["role"]
            cost = row["cost_per_fte_per_year_gbp"]
            rows.append(
                {
                    "role": role,
                    "title": row["title"],
                    "current_fte": self.current[role],
                    "recommended_fte": self.recommended[role],
                    "change_fte": round(self.recommended[role] - self.current[role], 9),
                    "cost_per_fte_per_year_gbp": cost,
                    "cost_current_gbp": cost * self.current[role],
                    "cost_recommended_gbp": cost * self.recommended[role],
                }
            )
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (NaN as null, dates as ISO text)."""

        records = json_records
        document = {
            "schema": "acusim.staffing/1",
            "scenario": self.scenario_name,
            "from_date": None if self.from_date is None else self.from_date.isoformat(),
            "feasible": self.feasible,
            "confirmed": self.confirmed,
            "repaired": self.repaired,
            "message": self.message,
            "notes": list(self.notes),
            "confidence": self.confidence,
            "precision": self.precision,
            "roles": list(self.roles),
            "current": dict(self.current),
            "recommended": dict(self.recommended),
            "searched": dict(self.searched),
            "cost_current_gbp": _clean(self.cost_current),
            "cost_recommended_gbp": _clean(self.cost_recommended),
            "binding_target": self.binding_target,
            "binding_role": self.binding_role,
            "unachievable": list(self.unachievable),
            "seed": self.seed,
            "confirmation_seed": self.confirmation_seed,
            "evaluations": self.evaluations,
            "replications_per_evaluation": self.replications,
            "confirmation_replications": self.confirmation_replications,
            "replications_run": self.replications_run,
            "replications_reused": self.replications_reused,
            "sequential": self.sequential,
            "brute_force_evaluations": self.brute_force_evaluations,
            "recommendation": records(self.recommendation_table()),
            "targets_current": records(self.targets_current),
            "targets_recommended": records(self.targets_recommended),
            "precision_by_target": records(self.precision_table),
            "step_down": records(self.step_down),
            "tradeoff": records(self.tradeoff),
            "ranges": records(self.ranges),
            "analytic": records(self.analytic),
        }
        if self.workforce is not None:  # only with turnover: posts beside FTE in post
            document["establishment"] = records(self.workforce)
        return document


def json_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A table as JSON-ready records: NaN as null, dates as ISO text, numpy as Python."""
    return [{k: _clean(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _clean(value: Any) -> Any:
    if value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, dt.date | pd.Timestamp):
        return value.isoformat()[:10]
    if isinstance(value, np.generic):
        return _clean(value.item())
    if isinstance(value, tuple | list):
        return [_clean(v) for v in value]
    return value
