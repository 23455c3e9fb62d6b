"""Saying in words what the levers changed from the chosen scenario (Scenario page, YAML
header, report)."""

from __future__ import annotations

from typing import Any

from app import state
from app.i18n import name, number, t
from app.levers import Lever, moved
from model.scenario import Scenario


def _subject(lever: Lever, scenario: Scenario) -> str:
    if lever.subject_kind is None or lever.subject is None:
        return ""
    thing = getattr(scenario, lever.subject_kind)[lever.subject]
    return name(lever.subject_kind, lever.subject, thing.title)


def lever_label(lever: Lever, scenario: Scenario) -> str:
    """The lever's label in the current language, with its unit."""
    label = t(lever.label, name=_subject(lever, scenario))
    if lever.unit is None:
        return label
    return t("ui.label_with_unit", label=label, unit=t(lever.unit))


def shown(lever: Lever, value: Any) -> str:
    if lever.widget == "toggle":
        return t("ui.on") if value else t("ui.off")
    return number(float(value), lever.digits)


def changed_rows() -> list[tuple[str, str, str]]:
    """(setting, value in the chosen scenario, value now) for every moved lever."""
    scenario = state.base_scenario()
    return [
        (lever_label(lever, scenario), shown(lever, lever.base), shown(lever, value))
        for lever, value in moved(state.levers(), state.lever_values())
    ]


def change_lines() -> list[str]:
    return [t("scenario.change_line", setting=s, old=a, new=b) for s, a, b in changed_rows()]


def origin_text() -> str:
    where = state.origin()
    key = "scenario.from_upload" if where.kind == "upload" else "scenario.from_file"
    return t(key, file=where.file)
