"""The brief with turnover and with an overloaded stage: workforce rows only with turnover,
their figures the workforce summary's; an overloaded stage said in words, never a wait."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pandas as pd
import pytest

from model.overload import OVERLOADED, SETTLED, all_stage_waits
from model.workforce_outputs import workforce_summary
from planning.brief.content import Block, Words, _fy_rows, build_parts, catalogue
from planning.brief.figures import BriefFigures, gather
from planning.brief.write import write_brief
from tests.conftest import TEST_SCENARIOS
from tests.planning.brief.test_brief import _docx_text, _fragments, _html_text

BASE = TEST_SCENARIOS / "brief_tiny.yaml"
TURNOVER = TEST_SCENARIOS / "brief_tiny_turnover.yaml"
OVERLOADED_OPTION = TEST_SCENARIOS / "brief_tiny_overloaded.yaml"
WORKFORCE_KEYS = ["t_workforce", "t_wf_in_post", "t_wf_vacancy", "t_wf_leavers", "t_wf_capacity"]


@pytest.fixture(scope="module")
def figures() -> BriefFigures:
    return gather(BASE, [TURNOVER, OVERLOADED_OPTION], replications=3, workers=1)


@pytest.fixture(scope="module")
def plain() -> BriefFigures:
    """No scenario with turnover."""
    return gather(BASE, [TEST_SCENARIOS / "brief_tiny_more_devices.yaml"], replications=3)


def _table_after(blocks: list[Block], heading: str) -> Block:
    """The first table after the heading (or paragraph) with this text."""
    start = next(i for i, b in enumerate(blocks) if b.text == heading)
    return next(b for b in blocks[start:] if b.kind == "table")


def _rows_of(table: Block, label: str) -> list[list[str]]:
    return [row for row in table.rows if row[1] == label]


def _mean(cell: str) -> float:
    """The mean at the start of an English cell ('1.86 ± 0.16 of 2.0 posts', '6.8% ± ...')."""
    return float(re.match(r"-?[\d,]*\.?\d+", cell).group(0).replace(",", ""))


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_workforce_rows_appear_only_with_turnover(figures, plain, lang):
    t = catalogue(lang)
    with_turnover = {b.text for b in build_parts(figures, lang)[0].blocks}
    without = {b.text for b in build_parts(plain, lang)[0].blocks}
    for key in WORKFORCE_KEYS:
        assert t[key] in with_turnover
        assert t[key] not in without
    assert t["establishment_text"].split("{")[0] in " ".join(with_turnover)
    assert not any(t["establishment_text"].split("{")[0] in text for text in without)
    assert plain.turnover_roles == [] and figures.turnover_roles == ["investigator"]


def test_workforce_year_figures_are_the_workforce_summarys(figures):
    blocks = build_parts(figures, "en")[0].blocks
    en = catalogue("en")
    fig = figures.options[0]
    summary = workforce_summary(fig.run)["investigator"]
    by_year = {e["financial_year"]: e for e in summary["financial_years"]}
    tables = {
        "fte_in_post": (_table_after(blocks, en["t_wf_in_post"]), 2),
        "vacancy_share": (_table_after(blocks, en["t_wf_vacancy"]), 1),
        "leavers": (_table_after(blocks, en["t_wf_leavers"]), 1),
    }
    for figure, (table, digits) in tables.items():
        (row,) = _rows_of(table, fig.scenario.name)
        today = _rows_of(table, f"{en['today']} ({figures.base.scenario.name})")[0]
        assert set(today[2:]) == {"–"}  # today has no turnover: no figures invented
        for year, cell in zip(figures.financial_years, row[2:], strict=True):
            e = by_year[f"{year}-{(year + 1) % 100:02d}"][figure]
            scale = 100 if figure == "vacancy_share" else 1
            assert _mean(cell) == pytest.approx(round(scale * e["mean"], digits))
            half = cell.split("± ")[1]
            assert _mean(half) == pytest.approx(round(scale * e["half_width"], digits))
    # posts funded: the scenario's establishment (2 posts, no staffing plan)
    in_post = _rows_of(tables["fte_in_post"][0], fig.scenario.name)[0]
    assert all(cell.endswith("of 2.0 posts") for cell in in_post[2:])
    # the capacity part: whole-period figures, with n
    capacity = _table_after(blocks, en["t_wf_capacity"])
    (row,) = _rows_of(capacity, fig.scenario.name)
    assert _mean(row[3]) == pytest.approx(round(summary["fte_in_post_mean"]["mean"], 2))
    assert row[-1] == str(summary["fte_in_post_mean"]["n"])


def test_the_plan_shows_posts_beside_fte_in_post(figures):
    blocks = build_parts(figures, "en")[0].blocks
    w = Words("en")
    fig = figures.options[0]
    workforce = fig.staffing.workforce
    assert workforce is not None
    n = int(workforce["n_recommended"].iloc[0])
    table = _table_after(blocks, w("establishment_text", n=n))
    (row,) = table.rows
    record = workforce.iloc[0]
    assert row[1] == w.num(record["posts_current"], 1)
    assert row[3] == w.num(record["posts_recommended"], 1)
    assert _mean(row[4]) == pytest.approx(round(record["fte_in_post_mean_recommended"], 2))


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_an_overloaded_stage_is_said_in_words_and_no_wait_is_printed(figures, lang):
    fig = figures.options[1]
    waits = all_stage_waits(fig.run)
    assert {v.status for v in waits.values()} == {OVERLOADED}
    assert {v.status for v in all_stage_waits(figures.base.run).values()} == {SETTLED}
    w = Words(lang)
    blocks = build_parts(figures, lang)[0].blocks
    label = fig.scenario.name
    km = _table_after(blocks, w("t_waits_km"))
    rows = _rows_of(km, label)
    assert len(rows) == len(waits)
    for row in rows:
        assert row[2] == row[3] == w("wait_overloaded_cell")
        assert row[5].startswith(w("queue_overloaded", growth="").split("{")[0][:10])
    means = _rows_of(_table_after(blocks, w("t_waits")), label)
    for row in means:
        assert set(row[2:]) == {w("wait_overloaded_cell")}
        assert not any(re.search(r"\d", cell) for cell in row[2:])
    texts = [b.text for b in blocks if b.kind == "p"]
    names = [w.name("stages", k, fig.scenario.stages[k].title) for k in waits]
    growth = w.num(waits["review"].growth_per_year.mean / 12, 0)
    waiting = w.num(waits["review"].waiting_end.mean, 0)
    said = w("msg_overloaded", stage=names[0], scenario=label, growth=growth, waiting=waiting)
    assert said in texts
    assert w("msg_overloaded_key", scenario=label, stages="; ".join(names)) in texts
    # a settled stage shows the censored median, the same figure model.overload gives
    today = _rows_of(km, f"{w('today')} ({figures.base.scenario.name})")
    median = all_stage_waits(figures.base.run)["investigation"].median
    assert today[1][2].startswith(w.pm(median.mean, median.half_width, 1))


@pytest.mark.parametrize(("lang", "other"), [("cy", "en"), ("en", "cy")])
def test_the_new_rows_hold_no_catalogue_text_of_the_other_language(figures, tmp_path, lang, other):
    write_brief(figures, tmp_path, lang)
    _, docx_text = _docx_text(tmp_path / "brief.docx")
    html = _html_text((tmp_path / "brief.html").read_text(encoding="utf-8"))
    own = _fragments(lang)
    for text in (html, docx_text):
        assert [f for f in _fragments(other) - own if f in text] == []
        assert catalogue(lang)["t_workforce"] in text
        assert catalogue(lang)["wait_overloaded_cell"] in text


def test_the_csv_files_hold_the_waits_and_only_with_turnover_the_workforce(figures, plain):
    from planning.brief.content import tables_frame

    frames = tables_frame(figures)
    waits = frames["waits.csv"].set_index(["scenario", "stage"])
    assert waits.loc[("brief_tiny_overloaded", "review"), "status"] == OVERLOADED
    assert waits.loc[("brief_tiny", "review"), "status"] == SETTLED
    workforce = frames["workforce.csv"]
    assert set(workforce["scenario"]) == {"brief_tiny_turnover"}
    assert "workforce.csv" not in tables_frame(plain)


# --------------------------------------------------------------------------- shares with n


def test_a_share_on_fewer_replications_says_its_n_after_the_percentages():
    """A share shown as a percentage carries its n after the whole figure, in the financial
    year tables as in the workforce rows (once ``85.0% ± 1.2 (n=5)%``)."""
    w = Words("en")
    assert w.pct_pm(0.85, 0.012, 1, 5, 10) == "85.0% ± 1.2% (n=5)"
    assert w.pct_pm(0.85, 0.012, 1, 10, 10) == "85.0% ± 1.2%"
    assert w.pct_pm(0.85, None, 1) == "85.0%"
    assert w.pct_pm(float("nan"), 0.012, 1, 5, 10) == "–"
    frame = pd.DataFrame(
        [
            {"metric": "m", "key": "k", "financial_year": 2027, "mean": 0.85},
            {"metric": "m", "key": "k", "financial_year": 2028, "mean": 0.8},
        ]
    ).assign(half_width=[0.012, 0.02], n=[5, 10])
    fig = SimpleNamespace(scenario=SimpleNamespace(title="Today", name="t"), table=frame)
    figures = SimpleNamespace(financial_years=[2027, 2028], all=[fig], replications=10)
    [row] = _fy_rows(figures, w, "table", "m", [("k", "Share")], percent=True)
    assert row[2:] == ["85.0% ± 1.2% (n=5)", "80.0% ± 2.0%"]
