"""What a staffing answer looks like under the final seed: binding target, trade-off, words.

* **Step-down**: one step fewer of each searched role; the role whose loss
  leaves the largest shortfall binds, and the target it misses by most is
  the binding target.
* **Trade-off**: every target (estimate, CI, met or not) as one role's FTE
  moves a few steps either side of the answer, the others as recommended.
* **Precision**: each target KPI's relative CI half-width at the answer.
* **Message**: the answer in plain words, naming any target out of reach and
  the best found for it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import pandas as pd

from model.replications import one_sided_bound
from model.scenario import Scenario
from planning.staffing.analytic import FTE_TOLERANCE
from planning.staffing.precision import PrecisionOutcome, PrecisionRule, relative_half_widths
from planning.staffing.runs import TargetJudge
from planning.staffing.search import SearchSpace, Staffing, moved


def step_down(
    space: SearchSpace,
    frame_for: Callable[[Staffing], pd.DataFrame],
    judge: TargetJudge,
    staffing: Staffing,
    active: list[str],
) -> tuple[pd.DataFrame, str | None, str | None]:
    """One step fewer of each role: which targets fail, and which of those fail *because*
    of it (the paired difference from the answer, same seed, is worse beyond noise). The
    binding role is the one whose loss leaves the largest such shortfall; the binding target
    is the one it misses by most. ``frame_for`` gives the target KPIs of a staffing under
    the final seed (replications 0..n-1, paired with the answer's)."""
    rows, worst = [], (0.0, None, None)
    here = frame_for(staffing)
    for role in space.roles:
        if staffing[role] - space.step[role] < space.floor[role] - FTE_TOLERANCE or not active:
            continue
        fewer = moved(staffing, role, -1, space)
        frame = frame_for(fewer)
        status = judge.status(frame, active).set_index("target")
        failing = [t for t in active if not status.loc[t, "met_with_confidence"]]
        caused = [t for t in failing if _worse(judge, t, here, frame)]
        shortfall = float(status.loc[caused, "shortfall"].sum()) if caused else 0.0
        rows.append(
            {
                "role": role,
                "fte": fewer[role],
                "meets_targets": not failing,
                "failing": ", ".join(failing),
                "failing_beyond_noise": ", ".join(caused),
                "shortfall": shortfall,
            }
        )
        if caused and shortfall > worst[0]:
            target = max(caused, key=lambda t: status.loc[t, "shortfall"])
            worst = (shortfall, role, target)
    columns = ["role", "fte", "meets_targets", "failing", "failing_beyond_noise", "shortfall"]
    return pd.DataFrame(rows, columns=columns), worst[1], worst[2]


def _worse(judge: TargetJudge, name: str, here: pd.DataFrame, fewer: pd.DataFrame) -> bool:
    """Whether the target is worse with ``fewer`` than ``here`` beyond noise (paired)."""
    column = f"target.{name}"
    n = min(len(here), len(fewer))
    loss = fewer[column].iloc[:n].to_numpy() - here[column].iloc[:n].to_numpy()
    if judge.scenario.targets[name].direction == ">=":
        loss = -loss
    return one_sided_bound(loss, ">=", judge.confidence) > 0


def tradeoff(
    space: SearchSpace,
    frame_for: Callable[[Staffing], pd.DataFrame],
    judge: TargetJudge,
    staffing: Staffing,
    role: str,
    steps: int,
) -> pd.DataFrame:
    """Each target's estimate, CI and verdict as the trade-off role's FTE varies."""
    values = [
        v
        for v in space.grid(role)
        if abs(v - staffing[role]) <= steps * space.step[role] + FTE_TOLERANCE
    ]
    frames = []
    for value in values:
        status = judge.status(frame_for({**staffing, role: value}))
        status.insert(0, "fte", value)
        status.insert(0, "role", role)
        frames.append(status)
    columns = [
        "role",
        "fte",
        "target",
        "description",
        "direction",
        "threshold",
        "mean",
        "ci_low",
        "ci_high",
        "bound",
        "met_with_confidence",
        "n",
    ]
    return (
        pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)
    )


def precision_table(
    scenario: Scenario,
    frame: pd.DataFrame,
    rule: PrecisionRule,
    pilot: PrecisionOutcome | None,
    active: list[str],
) -> pd.DataFrame:
    """Per target: relative CI half-width at the answer, and whether it is within precision."""
    rows = []
    for name, target in scenario.targets.items():
        widths = relative_half_widths(
            frame[f"target.{name}"].to_numpy(dtype=float), rule.confidence, abs(target.threshold)
        )
        achieved = float(widths[-1]) if widths.size else math.nan
        rows.append(
            {
                "target": name,
                "relative_half_width": achieved,
                "precision": rule.precision,
                "reached": bool(achieved <= rule.precision) if not math.isnan(achieved) else False,
                "replications_needed": None if pilot is None else pilot.needed.get(name),
                "achievable": name in active,
            }
        )
    return pd.DataFrame(rows)


def money(value: float) -> str:
    return f"GBP {value:,.0f}"


def message(
    scenario: Scenario,
    space: SearchSpace,
    current: Staffing,
    candidate: Staffing,
    confirmed: bool,
    active: list[str],
    unachievable: Mapping[str, tuple[pd.Series, str]],
    confidence: float,
    binding_role: str | None,
    binding_target: str | None,
    cost_now: float,
    cost_rec: float,
) -> str:
    """The answer in plain words; ``unachievable`` holds each such target's status at the
    ceiling (the best found) and why it is out of reach."""
    pct = f"{confidence:.0%}"
    lines = []
    ceiling = ", ".join(f"{space.ceiling[r]:g} {r}" for r in space.roles)
    for name, (row, reason) in unachievable.items():
        target = scenario.targets[name]
        lines.append(
            f"Target '{name}' ({target.description or name}) cannot be met with {pct} "
            f"confidence by staffing within the ceilings ({ceiling}): {reason}; the best found "
            f"is {row['mean']:.3g} ({pct} CI {row['ci_low']:.3g} to {row['ci_high']:.3g}, "
            f"{int(row['n'])} replications) against {target.direction} {target.threshold:g}."
        )
    changes = ", ".join(
        f"{scenario.roles[r].title} {candidate[r]:g} ({candidate[r] - current[r]:+g})"
        for r in space.roles
    )
    difference = cost_rec - cost_now
    if active:
        which = "every target" if not unachievable else "the other targets"
        lines.append(
            f"The cheapest staffing meeting {which} with {pct} confidence: {changes}; "
            f"{money(cost_rec)} a year against {money(cost_now)} today "
            f"({'+' if difference >= 0 else '-'}{money(abs(difference))})."
        )
        if not confirmed:
            lines.append(
                "It was not confirmed with fresh random numbers within "
                f"{scenario.staffing_search.confirmation_rounds} rounds: treat it as a lower "
                "bound, or raise the ceilings or replications."
            )
        if binding_target is not None:
            lines.append(
                f"Binding target: '{binding_target}' - one {scenario.roles[binding_role].title} "
                "fewer misses it."
            )
        else:
            lines.append(
                "No target binds at one step fewer of any role: the staffing is set by the "
                "floors (the fewest staff that keep up with the busiest year's work) or lies "
                "within the noise of the targets."
            )
    else:
        lines.append("No target can be met within the ceilings; the most staff searched is shown.")
    return " ".join(lines)
