"""The Calibrate page's backtest: choose a cut date, run, read the verdict (English and
Welsh), with actual against the forecast band per backlog series and no row of the
extract on screen."""

from __future__ import annotations

import datetime as dt

from app.i18n import catalogue
from tests.app.conftest import click, go, open_app
from tests.app.test_calibrate_page import AS_OF, SECRET, extract, shown_text, upload

__all__ = ["extract"]  # the module fixture, shared with the fit's tests
EN, CY = catalogue("en"), catalogue("cy")


def _fit_and_backtest(at, files, lang: str):
    at.session_state["lang"] = lang
    go(at, "calibrate")
    upload(at, files)
    at.date_input(key="widget:cal_as_of").set_value(AS_OF).run()
    click(at, "widget:fit")
    assert not at.error
    at.date_input(key="widget:backtest_cut").set_value(AS_OF - dt.timedelta(weeks=8))
    at.number_input(key="widget:backtest_n").set_value(5)
    at.run()
    click(at, "widget:backtest_run")
    return at


def test_backtest_verdict_and_charts_in_english_and_welsh(extract):
    at = _fit_and_backtest(open_app(), extract, "en")
    for lang, words in (("en", EN), ("cy", CY)):
        if lang == "cy":  # the kept backtest is shown again, now in Welsh
            at.session_state["lang"] = "cy"
            at.run()
        boxes = [*at.success, *at.warning, *at.error]
        head = words["backtest.verdict_head"].split("{")[0].strip()
        verdicts = [b.value for b in boxes if b.value.startswith(head)]
        assert len(verdicts) == 1, [b.value for b in boxes]
        assert any(words["backtest.col_coverage"] in f.value.columns for f in at.dataframe)
        charts = [c for c in at.get("plotly_chart") if "backtest" in c.proto.id]
        assert charts
        assert SECRET not in shown_text(at)
