"""Run-time guards: stop a replication with a clear one-line error instead of looping on.

The routing check (:mod:`model.scenario.routing_check`) refuses networks whose cases could
loop forever, but a guard at run time catches anything it cannot see: a case that has
visited stages ``limits.max_visits_per_case`` times stops the run. Kept to one small
function so any way of moving a case on (generator processes or callbacks) can call it.
"""

from __future__ import annotations

from model.scenario import ScenarioError


class RunawayCase(ScenarioError):
    """A case visited stages more often than ``limits.max_visits_per_case`` allows."""


def check_case_visits(visits: int, cap: int, case_id: int, stage: str, scenario: str) -> None:
    """Call each time a case enters a stage, with its total visits so far (this one included).

    Raises :class:`RunawayCase` (one line) once ``visits`` exceeds ``cap``."""
    if visits > cap:
        raise RunawayCase(
            [
                f"scenario '{scenario}': case {case_id} entered stage '{stage}' and has now "
                f"made {visits:,} stage visits, more than limits.max_visits_per_case "
                f"({cap:,}): its routing loops; check stages.{stage}.routing"
            ]
        )
