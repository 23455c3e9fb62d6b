"""The verdicts of ``validate-fit`` and ``backtest`` in plain words, in English or Welsh.

A verdict is what a commissioner's office reads first, so it is written from the
catalogue (``calibration/text/{en,cy}.yaml``, ``verdicts.*``) rather than as a finished
English sentence: the same result reads the same in either language, with dates, shares
and counts formatted by ``model/formats.py`` for that language. The numbers and the rule
(``backtest.verdict_of``, ``COVERAGE_FLOOR``) stay where they are computed and are passed
in; this module only words them (and imports neither, so no import cycle).
"""

from __future__ import annotations

from typing import Any

from calibration.wording import Day, Message, Num, Share, render

WORST_SHOWN = 3
"""Series named in a verdict that is not a pass: the three furthest from their band."""


def series_label(series: str, key: str) -> Message:
    """A compared series in words (``backlog_waiting`` of ``assessment`` -> "cases waiting
    (assessment)"); the name from the extract goes in brackets so no mutation is needed."""
    return Message(f"verdicts.series_{series}", key=key)


def verdict_word(verdict: str) -> Message:
    """``pass`` / ``partial`` / ``fail`` as a short heading word (Pass, Partly, Fail)."""
    return Message(f"verdicts.word_{verdict}")


def _worst(items: list[tuple[Message, float]]) -> list[Message]:
    ranked = sorted(items, key=lambda item: item[1])[:WORST_SHOWN]
    return [
        Message("verdicts.worst_item", series=label, share=Share(share)) for label, share in ranked
    ]


def backtest_verdict(bt: Any, floor: float, lang: str = "en") -> str:
    """A ``calibration.backtest.Backtest``'s verdict as one paragraph in ``lang``; ``floor``
    is the share of weeks a series must have inside its band."""

    head = Message(
        "verdicts.backtest_head",
        cut=Day(bt.cut),
        weeks=Num(len(bt.week_endings)),
        end=Day(bt.end),
        n=Num(bt.replications),
    )
    worst = _worst([(series_label(b.series, b.key), b.coverage) for b in bt.bands])
    body = Message(f"verdicts.backtest_{bt.verdict}", floor=Share(floor), worst=worst)
    return render(Message("verdicts.sentence", head=head, body=body), lang)


def fit_verdict(v: Any, floor: float, lang: str = "en") -> str:
    """A ``calibration.validate_fit.FitValidation``'s verdict as one paragraph in
    ``lang``; ``floor`` as for :func:`backtest_verdict`."""

    head = Message("verdicts.fit_head", weeks=Num(v.replay.horizon_days / 7))
    measures = {"arrivals": "arrivals", "backlog": "backlog", "throughput": "completions"}
    worst = _worst(
        [(series_label(measures.get(s.measure, s.measure), s.key), s.coverage) for s in v.series]
    )
    body = Message(f"verdicts.fit_{v.verdict}", floor=Share(floor), worst=worst)
    return render(Message("verdicts.sentence", head=head, body=body), lang)
