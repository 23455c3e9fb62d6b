"""The answer first: one sentence for the unit and a status per target, in plain words.

A commissioner asks "will the unit meet its targets?", not "what are the seven headline
figures?". The verdict answers that from ``RunResults.target_status()`` (the model's own
one-sided test) and says once what an interval means. It is built apart from drawing
(:func:`verdict` returns data; :func:`show_verdict` draws it) so the Results, Compare and
Staffing pages, and tests, all use the same words.

Statuses:
- ``met``: met even at the unfavourable end of the interval (met with confidence);
- ``close``: met on the average, but the interval reaches the wrong side of the target
  (too close to call with this many runs);
- ``missed``: missed on the average.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from app.formatting import level, plain
from app.i18n import percent, t
from model.replications import RunResults

STATUSES: tuple[str, ...] = ("missed", "close", "met")
"""Worst first: the overall status is the worst target's."""
ICONS = {"met": "✓", "close": "≈", "missed": "✗"}
SHARES = ("share_within", "long_open_share")
"""Target kinds whose measure is a share of cases (bounded by 0 and 100%)."""
"""A symbol beside each status word, so colour is never the only cue."""


@dataclass(frozen=True)
class TargetLine:
    """One target: its name, the status word, what it needs and what the runs give."""

    key: str
    label: str
    status: str
    needs: str
    estimate: str


@dataclass(frozen=True)
class Verdict:
    """The overall answer: worst status, one sentence, one line per target, the note."""

    status: str
    sentence: str
    targets: tuple[TargetLine, ...]
    note: str


def _status(row: dict) -> str:
    if row["met_with_confidence"]:
        return "met"
    if row["met"]:
        return "close"
    return "missed"


def _needs(row: dict) -> str:
    key = "verdict.at_least" if row["direction"] == ">=" else "verdict.at_most"
    return t(key, value=percent(row["threshold"], 0))


def _estimate(row: dict, is_share: bool) -> str:
    """The estimate and its interval; a share's interval is cut to 0-100% (a normal
    interval near 100% can reach past it, which no share can)."""
    low, high = row["ci_low"], row["ci_high"]
    if is_share:
        low, high = max(0.0, low), min(1.0, high)
    return t(
        "verdict.estimate",
        mean=percent(row["mean"], 1),
        low=percent(low, 1),
        high=percent(high, 1),
    )


def _sentence(lines: list[TargetLine]) -> str:
    if not lines:
        return t("verdict.no_targets")
    total = len(lines)
    by_status = {s: [line.label for line in lines if line.status == s] for s in STATUSES}
    missed, close = by_status["missed"], by_status["close"]
    if not missed and not close:
        return t("verdict.all_met", total=total)
    parts = []
    if missed:
        parts.append(t("verdict.some_missed", n=len(missed), total=total, names="; ".join(missed)))
    if close:
        parts.append(t("verdict.some_close", n=len(close), names="; ".join(close)))
    return " ".join(parts)


def verdict(results: RunResults) -> Verdict:
    """The verdict on one run of a scenario (current language)."""
    from app.views import target_name  # views imports charts; kept local to stay light

    status = results.target_status()
    rows = status.to_dict(orient="records") if len(status) else []
    lines = [
        TargetLine(
            key=row["target"],
            label=target_name(results.scenario, row["target"]),
            status=_status(row),
            needs=_needs(row),
            estimate=_estimate(row, results.scenario.targets[row["target"]].kind in SHARES),
        )
        for row in rows
    ]
    worst = min((STATUSES.index(line.status) for line in lines), default=len(STATUSES))
    overall = STATUSES[worst] if worst < len(STATUSES) else "none"
    note = t("verdict.note", level=level(), n=results.n)
    return Verdict(overall, _sentence(lines), tuple(lines), note)


def status_word(status: str) -> str:
    """``✓ Met`` / ``≈ Too close to call`` / ``✗ Missed`` in the current language."""
    return f"{ICONS[status]} {t(f'verdict.status_{status}')}"


def show_verdict(
    answer: Verdict, heading: str | None = None, level: int = 2, note: bool = True
) -> None:
    """Draw the verdict: a heading (h2, or h3 under another section), the sentence in a
    coloured box (with its symbol and words, so colour is not needed), one line per
    target, and the interval note (once per page: ``note=False`` for the others).
    Target names come from scenario files, so everything is drawn as plain text."""
    (st.header if level == 2 else st.subheader)(heading or t("verdict.title"), anchor=False)
    box = {"met": st.success, "close": st.warning, "missed": st.error}.get(answer.status, st.info)
    box(plain(answer.sentence))
    for line in answer.targets:
        st.text(
            t(
                "verdict.line",
                status=status_word(line.status),
                target=line.label,
                needs=line.needs,
                estimate=line.estimate,
            )
        )
    if note:
        st.caption(answer.note)
