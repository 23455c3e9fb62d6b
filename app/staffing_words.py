"""The Staffing page's small decisions about words, kept apart from the page script so
they can be tested without running it: the default "in post from" date, the cost change
shown (none on a zero change, never "↑ £0"), a change with its sign, and the time left
in words."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable

from model import formats
from model.scenario import Scenario


def default_in_post(scenario: Scenario, roles: list[str] | None = None) -> dt.date:
    """The earliest date new staff could be in post: the scenario's start plus the longest
    recruitment lead time of the roles searched (so the default answer is never "already
    too late")."""
    chosen = roles if roles else list(scenario.roles)
    lead = max((scenario.roles[r].recruitment_lead_time_days for r in chosen), default=0.0)
    return scenario.start_date + dt.timedelta(days=math.ceil(lead))


def cost_delta(cost_now: float, cost_new: float, lang: str = "en") -> str | None:
    """The change in yearly cost for a metric's delta; None when there is none."""
    difference = round(cost_new - cost_now)
    if difference == 0:
        return None
    return signed(difference, lambda size: formats.money(size, lang))


def signed(value: float, words: Callable[[float], str]) -> str:
    """A change with its sign, "+" or the minus sign "−" (as every page writes them), then
    its size in words (``words(abs(value))``); no sign on zero."""
    sign = "+" if value > 0 else "−" if value < 0 else ""
    return sign + words(abs(value))


def time_left(seconds: float | None) -> tuple[str, int | None]:
    """Which catalogue text to use for the time left, and its number (rounded up)."""
    if seconds is None:
        return "staffing_page.left_unknown", None
    if seconds < 60:
        return "staffing_page.left_seconds", max(round(seconds), 1)
    return "staffing_page.left_minutes", math.ceil(seconds / 60)
