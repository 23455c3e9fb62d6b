"""The brief's content as a list of blocks, in one language, every word from the catalogues.

The Word and HTML renderers draw the same blocks, so the two documents cannot say
different things. Words come from ``text/{en,cy}.yaml`` (the same keys in both; a test
checks that a Welsh brief holds no English catalogue text); names from the scenario files
(titles, comments quoted as sources) are the user's own words and are shown as written.
Welsh messages put a name after a noun or in quotes, never straight after a preposition,
so no mutation is needed; numbers, money and dates go through :mod:`model.formats`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from model import formats
from model.catalogues import read_catalogue
from model.engine.workforce import financial_year_code
from model.overload import NOT_REACHED, OVERLOADED, SETTLED, StageWaits
from model.replications import Estimate, estimate
from model.results import financial_year_label
from model.scenario import CATEGORIES
from planning.brief import assumptions
from planning.brief.charts import referrals_chart, sensitivity_chart
from planning.brief.figures import BriefFigures, ScenarioFigures
from planning.demand import ALL_SOURCES

TEXT_DIR = Path(__file__).with_name("text")
LANGUAGES = ("en", "cy")


@cache
def _file(lang: str) -> dict[str, Any]:
    if lang not in LANGUAGES:
        raise ValueError(f"language '{lang}' is not one of {', '.join(LANGUAGES)}")
    return read_catalogue(TEXT_DIR / f"{lang}.yaml")


def catalogue(lang: str) -> dict[str, str]:
    """The brief's sentences and labels in one language (``{slot}`` fields filled later)."""
    return {k: v for k, v in _file(lang).items() if k != "names"}


def names(lang: str) -> dict[str, dict[str, str]]:
    """Names of the shipped scenarios' sources, roles, stages and targets in one language."""
    return _file(lang).get("names", {})


@dataclass
class Block:
    """A heading (``h1``..``h3``), paragraph ``p``, ``table``, ``image`` or ``pagebreak``."""

    kind: str
    text: str = ""
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    png: bytes = b""


@dataclass
class Part:
    """The whole brief in one language."""

    lang: str
    title: str
    blocks: list[Block]


class Words:
    """Catalogue text and number formats in one language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.t = catalogue(lang)

    def __call__(self, key: str, **slots: Any) -> str:
        return self.t[key].format(**slots)

    def scenario(self, scenario: Any) -> str:
        """A scenario's title in this language (``title_cy`` in Welsh), else its name."""
        if self.lang == "cy" and scenario.title_cy:
            return scenario.title_cy
        return scenario.title or scenario.name

    def name(self, kind: str, key: str, fallback: str) -> str:
        """A scenario thing's name: in Welsh the catalogue's translation where it has one;
        in English the scenario file's own title (the user's words)."""
        if self.lang == "en":
            return fallback
        return names(self.lang).get(kind, {}).get(key, fallback)

    def num(self, value: float, digits: int = 1) -> str:
        return formats.number(value, digits, self.lang)

    def pm(
        self,
        mean: float,
        half: float,
        digits: int = 1,
        n: int | None = None,
        full_n: int | None = None,
    ) -> str:
        text = self.num(mean, digits)
        if half is not None and not (isinstance(half, float) and math.isnan(half)):
            text += f" ± {self.num(half, digits)}"
        if n is not None and full_n is not None and n < full_n:
            text += f" (n={n})"
        return text

    def pct_pm(
        self,
        share: float | None,
        half: float | None,
        digits: int = 1,
        n: int | None = None,
        full_n: int | None = None,
    ) -> str:
        """A share as a percentage with its half-width: ``85.0% ± 1.2%`` (``(n=k)`` after
        it on fewer replications than the run; the dash alone when the share is missing)."""
        if share is None or math.isnan(share):
            return formats.MISSING
        text = self.pm(100 * share, math.nan if half is None else 100 * half, digits)
        text = text.replace(" ±", "% ±") + "%"
        if n is not None and full_n is not None and n < full_n:
            text += f" (n={n})"
        return text

    def ci(self, low: float, high: float, digits: int = 0) -> str:
        return f"{self.num(low, digits)}–{self.num(high, digits)}"

    def money(self, value: float) -> str:
        return formats.money(value, self.lang)

    def date(self, day: Any) -> str:
        return formats.long_date(day, self.lang) if day is not None else formats.MISSING

    def pct(self, share: float, digits: int = 0) -> str:
        return formats.percent(share, digits, self.lang)


def _label(fig: ScenarioFigures, is_base: bool, w: Words) -> str:
    title = w.scenario(fig.scenario)
    return f"{w('today')} ({title})" if is_base else title


def _fy_rows(
    figures: BriefFigures,
    w: Words,
    table: str,
    metric: str,
    keys: list[tuple[str, str]],
    digits: int = 1,
    percent: bool = False,
    instead: Any = None,
) -> list[list[str]]:
    """Rows (item, scenario, one cell a financial year) for a metric's keys; ``percent``
    shows shares as percentages; ``instead(fig, key)``, when it returns words, fills a row's
    cells with them instead of figures (an overloaded stage's waits)."""
    rows = []
    years = figures.financial_years
    for key, title in keys:
        for i, fig in enumerate(figures.all):
            words = instead(fig, key) if instead else None
            if words:
                rows.append(
                    [title if i == 0 else "", _label(fig, i == 0, w), *[words] * len(years)]
                )
                continue
            frame = getattr(fig, table)
            part = frame[(frame["metric"] == metric) & (frame["key"] == key)].set_index(
                "financial_year"
            )
            cells = []
            for y in years:
                if y not in part.index:
                    cells.append(formats.MISSING)
                    continue
                r = part.loc[y]
                show = w.pct_pm if percent else w.pm
                cells.append(
                    show(r["mean"], r["half_width"], digits, int(r["n"]), figures.replications)
                )
            rows.append([title if i == 0 else "", _label(fig, i == 0, w), *cells])
    return rows


def _fy_header(figures: BriefFigures, w: Words) -> list[str]:
    return [
        w("col_item"),
        w("col_scenario"),
        *[financial_year_label(y) for y in figures.financial_years],
    ]


def _staffing_text(fig: ScenarioFigures, w: Words) -> str:
    rec = fig.staffing.recommendation_table()
    parts = []
    for r in rec.to_dict("records"):
        if r["change_fte"] != 0:
            sign = "+" if r["change_fte"] > 0 else ""
            change = f"{sign}{w.num(r['change_fte'], 1)}"
            title = w.name("roles", r["role"], r["title"])
            parts.append(f"{w.num(r['recommended_fte'], 1)} {title} ({change})")
    return "; ".join(parts)


def _added(
    base: ScenarioFigures, option: ScenarioFigures, w: Words
) -> tuple[Estimate, Estimate, str]:
    """Referrals a year and staff-hours a year the option adds (paired, CRN), and the role
    taking most of the extra hours."""
    years = option.scenario.horizon_years
    a, b = base.run.kpi_frame(), option.run.kpi_frame()
    common = a.index.intersection(b.index)
    referrals = estimate(
        (b.loc[common, "referrals_total"] - a.loc[common, "referrals_total"]) / years
    )
    columns = [
        f"staff_hours_per_year.{r}" for r in base.scenario.roles if r in option.scenario.roles
    ]
    hours = estimate(b.loc[common, columns].sum(axis=1) - a.loc[common, columns].sum(axis=1))
    totals = option.hours_added
    totals = totals[totals["source"] == ALL_SOURCES] if totals is not None else pd.DataFrame()
    top_row = totals.sort_values("difference").iloc[-1] if len(totals) else None
    top = "" if top_row is None else w.name("roles", top_row["role"], top_row["role_title"])
    return referrals, hours, top


def _target_name(fig: ScenarioFigures, target: str, w: Words) -> str:
    return w.name("targets", target, fig.scenario.targets[target].description)


def key_messages(figures: BriefFigures, w: Words) -> list[Block]:
    """Per option: what it adds, the staff needed and cost, targets, when to recruit; then
    the assumption to check first."""
    blocks = []
    confidence = w.pct(figures.base.staffing.confidence)
    for fig in figures.options:
        name = w.scenario(fig.scenario)
        referrals, hours, top = _added(figures.base, fig, w)
        text = w(
            "msg_adds",
            option=name,
            referrals=w.num(referrals.mean, 0),
            ci=w.ci(referrals.ci_low, referrals.ci_high),
            n=referrals.n,
            hours=w.num(hours.mean, 0),
            hours_ci=w.ci(hours.ci_low, hours.ci_high),
            role=top,
        )
        blocks.append(Block("p", text))
        staff = _staffing_text(fig, w)
        cost_today = w.money(fig.staffing.cost_current)
        if staff:
            text = w(
                "msg_staff",
                option=name,
                confidence=confidence,
                staffing=staff,
                cost=w.money(fig.staffing.cost_recommended),
                cost_today=cost_today,
            )
        elif fig.staffing.feasible:
            text = w("msg_no_staff", option=name, cost_today=cost_today, confidence=confidence)
        else:
            text = ""
        if text:
            blocks.append(Block("p", text))
        if fig.staffing.unachievable:
            unreachable = "; ".join(_target_name(fig, t, w) for t in fig.staffing.unachievable)
            text = w("msg_unreachable", option=name, confidence=confidence, targets=unreachable)
            blocks.append(Block("p", text))
        # With no change the answer *is* today's staff: its verdicts (noise-dominated targets
        # judged on every seed's replications) are today's.
        current = fig.staffing.targets_recommended if not staff else fig.staffing.targets_current
        met = int(current["met_with_confidence"].sum())
        if met == len(current):
            text = w("msg_targets_all", option=name, total=len(current))
        else:
            risk = "; ".join(
                _target_name(fig, r["target"], w)
                for r in current[~current["met_with_confidence"]].to_dict("records")
            )
            text = w("msg_targets", option=name, met=met, total=len(current), at_risk=risk)
        blocks.append(Block("p", text))
        plan = fig.plan[fig.plan["extra_fte"] > 0]
        if len(plan):
            longest = plan.sort_values("recruitment_lead_time_days").iloc[-1]
            lead = w.num(longest["recruitment_lead_time_days"], 0)
            if bool(plan["late"].any()):
                text = w(
                    "msg_recruit_late",
                    by=w.date(fig.by),
                    lead=lead,
                    role=w.name("roles", longest["role"], longest["title"]),
                    earliest=w.date(plan["earliest_in_post"].max()),
                )
            else:
                text = w(
                    "msg_recruit",
                    by=w.date(fig.by),
                    start=w.date(plan["start_recruiting_by"].min()),
                    role=w.name("roles", longest["role"], longest["title"]),
                    lead=lead,
                )
            blocks.append(Block("p", text))
    for i, fig in enumerate(figures.all):
        over = [
            w.name("stages", k, fig.scenario.stages[k].title)
            for k, v in fig.waits.items()
            if v.status == OVERLOADED
        ]
        if over:
            text = w("msg_overloaded_key", scenario=_label(fig, i == 0, w), stages="; ".join(over))
            blocks.append(Block("p", text))
    s = figures.sensitivity
    if len(s) and s["swing"].iloc[0] > 0:
        blocks.append(Block("p", w("msg_sensitivity", factor=w(f"f_{s['factor'].iloc[0]}"))))
    return blocks


def section_two(figures: BriefFigures, w: Words) -> list[Block]:
    base = figures.base.scenario
    weeks = figures.base.years.drop_duplicates("financial_year")
    weeks = weeks[weeks["financial_year"].isin(figures.financial_years)]
    out = [
        Block("h1", w("s2")),
        Block(
            "p",
            w(
                "s2_intro",
                weeks=", ".join(
                    f"{lbl}: {int(n)}"
                    for lbl, n in zip(weeks["label"], weeks["weeks"], strict=True)
                ),
            ),
        ),
    ]
    header = _fy_header(figures, w)
    sources = [(k, w.name("sources", k, s.title)) for k, s in base.sources.items()] + [
        ("all", w("col_total"))
    ]
    out.append(Block("h2", w("t_referrals")))
    out.append(
        Block("table", header=header, rows=_fy_rows(figures, w, "years", "arrivals", sources, 0))
    )
    out.append(Block("image", w("chart_referrals"), png=referrals_chart(figures, w)))
    cats = [(c, w(f"cat_{c}")) for c in CATEGORIES]
    out.append(Block("h2", w("t_categories")))
    out.append(
        Block(
            "table",
            header=header,
            rows=_fy_rows(figures, w, "case_years", "referrals_by_category", cats, 0),
        )
    )
    roles = [(k, w.name("roles", k, r.title)) for k, r in base.roles.items()]
    out.append(Block("h2", w("t_hours")))
    out.append(
        Block("table", header=header, rows=_fy_rows(figures, w, "years", "staff_hours", roles, 0))
    )
    out.append(Block("h2", w("t_fte")))
    out.append(
        Block("table", header=header, rows=_fy_rows(figures, w, "years", "fte_needed", roles, 2))
    )
    out.append(Block("h2", w("t_establishment")))
    head = [
        w("col_role"),
        w("col_fte_now"),
        *[_label(f, i == 0, w) for i, f in enumerate(figures.all)],
    ]
    rows = []
    for role, definition in base.roles.items():
        row = [
            w.name("roles", role, definition.title),
            w.num(figures.base.staffing.current.get(role, definition.fte), 1),
        ]
        row += [w.num(f.staffing.recommended.get(role, definition.fte), 1) for f in figures.all]
        rows.append(row)
    out.append(Block("table", header=head, rows=rows))
    out.append(Block("h2", w("t_cost")))
    rows = [
        [
            w("row_cost_today"),
            "",
            *[w.money(figures.base.staffing.cost_current)] * len(figures.financial_years),
        ]
    ]
    for i, f in enumerate(figures.all):
        rows.append(
            [
                w("row_cost_needed") if i == 0 else "",
                _label(f, i == 0, w),
                *[w.money(f.staffing.cost_recommended)] * len(figures.financial_years),
            ]
        )
    out.append(Block("table", header=header, rows=rows))
    out += workforce_year_blocks(figures, w)
    out.append(Block("h2", w("t_backlog")))
    out.append(
        Block(
            "table",
            header=header,
            rows=_fy_rows(figures, w, "years", "backlog_end", [("all", w("col_total"))]),
        )
    )
    stages = [(k, w.name("stages", k, s.title)) for k, s in base.stages.items() if s.role]
    out += waits_blocks(figures, w, stages)
    out.append(Block("h2", w("t_waits")))
    out.append(
        Block(
            "table",
            header=header,
            rows=_fy_rows(
                figures,
                w,
                "case_years",
                "wait_mean_days",
                stages,
                instead=lambda fig, key: (
                    w("wait_overloaded_cell") if _overloaded(fig, key) else None
                ),
            ),
        )
    )
    inv = base.reporting.investigation_stage
    if inv:
        months = w.num(base.reporting.pcc_report_after_days / 365 * 12, 0)
        out.append(Block("h2", w("t_pcc", months=months)))
        out.append(
            Block(
                "table",
                header=header,
                rows=_fy_rows(
                    figures,
                    w,
                    "case_years",
                    "pcc_open_over_at_end",
                    [(inv, w.name("stages", inv, base.stages[inv].title))],
                ),
            )
        )
    return out


def section_three(figures: BriefFigures, w: Words) -> list[Block]:
    base = figures.base.scenario
    out = [Block("h1", w("s3")), Block("h2", w("s3_1")), Block("p", w("s3_1_text"))]
    header = _fy_header(figures, w)
    rows = _fy_rows(figures, w, "years", "arrivals", [("all", w("row_referrals"))], 0)
    hours = _fy_rows(figures, w, "years", "staff_hours", [("all", w("row_hours"))], 0)
    out.append(Block("table", header=header, rows=rows + hours))
    out += [Block("h2", w("s3_2")), Block("p", w("s3_2_text"))]
    head = [w("col_role"), w("col_fte_now"), w("col_abstraction"), w("col_hours_fte")]
    rows = [
        [
            w.name("roles", role, d.title),
            w.num(d.fte, 1),
            w.pct(d.abstraction_rate),
            w.num(d.casework_hours_per_day * 365, 0),
        ]
        for role, d in base.roles.items()
    ]
    out.append(Block("table", header=head, rows=rows))
    out.append(Block("h3", w("t_utilisation")))
    roles = [(k, w.name("roles", k, r.title)) for k, r in base.roles.items()]
    out.append(
        Block(
            "table",
            header=header,
            rows=_fy_rows(figures, w, "years", "utilisation", roles, 0, True),
        )
    )
    out += workforce_capacity_blocks(figures, w)
    out += [Block("h2", w("s3_3")), Block("p", w("s3_3_text"))]
    head = [w("col_role"), w("col_fte_now")]
    for i, f in enumerate(figures.all):
        head += [
            w("col_needed", scenario=_label(f, i == 0, w)),
            w("col_gap", scenario=_label(f, i == 0, w)),
        ]
    rows = []
    for role, d in base.roles.items():
        now = figures.base.staffing.current.get(role, d.fte)
        row = [w.name("roles", role, d.title), w.num(now, 1)]
        for f in figures.all:
            need = f.staffing.recommended.get(role, d.fte)
            gap = need - f.staffing.current.get(role, d.fte)
            row += [w.num(need, 1), ("+" if gap > 0 else "") + w.num(gap, 1)]
        rows.append(row)
    out.append(Block("table", header=head, rows=rows))
    out += [Block("h2", w("s3_4")), Block("p", w("s3_4_text"))]
    for i, f in enumerate(figures.all):
        out.append(Block("h3", _label(f, i == 0, w)))
        out += establishment_blocks(f, w)
        plan = f.plan[f.plan["extra_fte"] > 0]
        if plan.empty:
            out.append(Block("p", w("none_needed")))
            continue
        head = [
            w("col_role"),
            w("col_extra"),
            w("col_lead"),
            w("col_start"),
            w("col_in_post"),
            w("col_late"),
            w("col_earliest"),
        ]
        rows = [
            [
                w.name("roles", r["role"], r["title"]),
                w.num(r["extra_fte"], 1),
                w.num(r["recruitment_lead_time_days"], 0),
                w.date(r["start_recruiting_by"]),
                w.date(r["in_post_by"]),
                w("word_yes") if r["late"] else w("word_no"),
                w.date(r["earliest_in_post"]),
            ]
            for r in plan.to_dict("records")
        ]
        out.append(Block("table", header=head, rows=rows))
    return out


def _overloaded(fig: ScenarioFigures, stage: str) -> bool:
    waits = fig.waits.get(stage)
    return waits is not None and waits.status == OVERLOADED


def _pm_est(w: Words, e: Estimate, digits: int, full_n: int, scale: float = 1.0) -> str:
    """An estimate as ``mean ± half-width`` (``(n=k)`` on fewer replications than the run)."""
    return w.pm(scale * e.mean, scale * e.half_width, digits, e.n, full_n)


def _wait_cell(waits: StageWaits, e: Estimate, undefined_in: int, w: Words, full_n: int) -> str:
    """A censored quantile: the figure, or words where it has none (over half still
    waiting in every replication), marked as a lower bound where some replications lack it."""
    if undefined_in >= waits.replications or e.n == 0 or math.isnan(e.mean):
        return w("wait_not_reached_cell")
    text = _pm_est(w, e, 1, full_n)
    if undefined_in:
        text += " " + w("wait_lower_bound", k=undefined_in, n=waits.replications)
    return text


def waits_blocks(figures: BriefFigures, w: Words, stages: list[tuple[str, str]]) -> list[Block]:
    """Each worked stage's waits over the whole period, counting the cases still waiting
    (Kaplan-Meier, :mod:`model.overload`), and, where a stage's queue grows without bound,
    words instead of a wait: no settled wait is printed for an overloaded stage."""
    out = [Block("h2", w("t_waits_km")), Block("p", w("waits_km_text"))]
    head = [
        w("col_stage"),
        w("col_scenario"),
        w("col_median_wait"),
        w("col_p90_wait"),
        w("col_still_waiting"),
        w("col_queue"),
    ]
    rows, notes = [], []
    full_n = figures.replications
    for key, title in stages:
        for i, fig in enumerate(figures.all):
            waits = fig.waits.get(key)
            label = _label(fig, i == 0, w)
            first = title if i == 0 else ""
            if waits is None or waits.status == NOT_REACHED:
                rows.append([first, label, *[formats.MISSING] * 3, w("queue_not_reached")])
                continue
            still = w(
                "still_waiting",
                count=_pm_est(w, waits.waiting_end, 0, full_n),
                share=w.pct(waits.waiting_end_share.mean),
            )
            growth = w.num(waits.growth_per_year.mean / 12, 0)
            if waits.status == OVERLOADED:
                cell = w("wait_overloaded_cell")
                rows.append([first, label, cell, cell, still, w("queue_overloaded", growth=growth)])
                notes.append(
                    w(
                        "msg_overloaded",
                        stage=title,
                        scenario=label,
                        growth=growth,
                        waiting=w.num(waits.waiting_end.mean, 0),
                    )
                )
                continue
            queue = w("queue_settled") if waits.status == SETTLED else w("queue_undetermined")
            rows.append(
                [
                    first,
                    label,
                    _wait_cell(waits, waits.median, waits.median_undefined_in, w, full_n),
                    _wait_cell(waits, waits.p90, waits.p90_undefined_in, w, full_n),
                    still,
                    queue,
                ]
            )
    out.append(Block("table", header=head, rows=rows))
    out += [Block("p", text) for text in notes]
    return out


def _workforce_year(fig: ScenarioFigures, role: str, year: int) -> dict[str, Any] | None:
    block = (fig.workforce or {}).get(role)
    if block is None:
        return None
    for entry in block["financial_years"]:
        if entry["financial_year"] == financial_year_code(year):
            return entry
    return None


def posts_in_year(entry: dict[str, Any], fallback: float) -> float:
    """Posts funded (the establishment, time-averaged over the year): FTE in post over the
    share of time filled; the same in every replication, as the establishment follows the
    staffing plan. ``fallback`` (the role's FTE) when every post was vacant."""
    vacancy, in_post = entry["vacancy_share"]["mean"], entry["fte_in_post"]["mean"]
    if vacancy is None or in_post is None or 1.0 - vacancy <= 1e-9:
        return fallback
    return in_post / (1.0 - vacancy)


def workforce_year_blocks(figures: BriefFigures, w: Words) -> list[Block]:
    """Only with turnover in a compared scenario: per role and financial year, FTE in post
    against posts funded, the share of time posts are vacant and the leavers, each with its
    interval, from the runs' workforce block (``summary.json``'s)."""
    roles = figures.turnover_roles
    if not roles:
        return []
    header = _fy_header(figures, w)
    full_n = figures.replications
    tables: dict[str, list[list[str]]] = {"in_post": [], "vacancy": [], "leavers": []}
    for role in roles:
        for i, fig in enumerate(figures.all):
            definition = fig.scenario.roles.get(role)
            title = w.name("roles", role, definition.title if definition else role)
            cells: dict[str, list[str]] = {k: [] for k in tables}
            for year in figures.financial_years:
                entry = _workforce_year(fig, role, year)
                if entry is None:
                    for k in cells:
                        cells[k].append(formats.MISSING)
                    continue
                fte = entry["fte_in_post"]
                posts = posts_in_year(entry, definition.fte if definition else math.nan)
                cells["in_post"].append(
                    w(
                        "in_post_of",
                        in_post=w.pm(fte["mean"], fte["half_width"], 2, fte["n"], full_n),
                        posts=w.num(posts, 1),
                    )
                )
                vac = entry["vacancy_share"]
                cells["vacancy"].append(
                    w.pct_pm(vac["mean"], vac["half_width"], 1, vac["n"], full_n)
                )
                lv = entry["leavers"]
                cells["leavers"].append(w.pm(lv["mean"], lv["half_width"], 1, lv["n"], full_n))
            for k, row in cells.items():
                tables[k].append([title if i == 0 else "", _label(fig, i == 0, w), *row])
    return [
        Block("h2", w("t_workforce")),
        Block("p", w("workforce_text")),
        Block("h3", w("t_wf_in_post")),
        Block("table", header=header, rows=tables["in_post"]),
        Block("h3", w("t_wf_vacancy")),
        Block("table", header=header, rows=tables["vacancy"]),
        Block("h3", w("t_wf_leavers")),
        Block("table", header=header, rows=tables["leavers"]),
    ]


def workforce_capacity_blocks(figures: BriefFigures, w: Words) -> list[Block]:
    """The Force Management Statement's capacity part, only with turnover: per role and
    scenario over the whole period, posts funded, FTE in post and effective FTE, vacancy
    share, leavers and hand-overs a year (means, intervals, n)."""
    roles = figures.turnover_roles
    if not roles:
        return []
    full_n = figures.replications
    head = [
        w("col_role"),
        w("col_scenario"),
        w("col_posts"),
        w("col_fte_in_post"),
        w("col_effective"),
        w("col_vacancy"),
        w("col_leavers"),
        w("col_handovers"),
        w("col_n"),
    ]
    rows = []
    for role in roles:
        for i, fig in enumerate(figures.all):
            block = (fig.workforce or {}).get(role)
            definition = fig.scenario.roles.get(role)
            title = w.name("roles", role, definition.title if definition else role)
            first = title if i == 0 else ""
            if block is None:
                posts = w.num(definition.fte, 1) if definition else formats.MISSING
                rows.append(
                    [first, _label(fig, i == 0, w), posts, w("no_turnover"), *[formats.MISSING] * 5]
                )
                continue

            def pm(name: str, digits: int, b: dict[str, Any] = block) -> str:
                e = b[name]
                return w.pm(e["mean"], e["half_width"], digits, e["n"], full_n)

            vac = block["vacancy_share"]
            rows.append(
                [
                    first,
                    _label(fig, i == 0, w),
                    pm("establishment_mean", 1),
                    pm("fte_in_post_mean", 2),
                    pm("fte_effective_mean", 2),
                    w.pct_pm(vac["mean"], vac["half_width"], 1, vac["n"], full_n),
                    pm("leavers_per_year", 1),
                    pm("handovers_per_year", 1),
                    str(block["fte_in_post_mean"]["n"]),
                ]
            )
    return [
        Block("h3", w("t_wf_capacity")),
        Block("p", w("wf_capacity_text")),
        Block("table", header=head, rows=rows),
    ]


def establishment_blocks(fig: ScenarioFigures, w: Words) -> list[Block]:
    """Only with turnover: the staffing answer in posts funded (establishment) beside the
    FTE in post they give, today and at the answer (``StaffingResult.workforce``)."""
    table = fig.staffing.workforce
    if table is None or table.empty:
        return []
    head = [
        w("col_role"),
        w("col_posts_today"),
        w("col_in_post_today"),
        w("col_posts_needed"),
        w("col_in_post_needed"),
        w("col_vacancy"),
        w("col_leavers"),
    ]

    def ci(row: dict[str, Any], figure: str, label: str, digits: int = 2) -> str:
        mean = row[f"{figure}_{label}"]
        low, high = row[f"{figure}_{label}_ci_low"], row[f"{figure}_{label}_ci_high"]
        text = w.num(mean, digits)
        if not (math.isnan(low) or math.isnan(high)):
            text += f" ({w.ci(low, high, digits)})"
        return text

    rows = []
    for r in table.to_dict("records"):
        vac = r["vacancy_share_recommended"]
        rows.append(
            [
                w.name("roles", r["role"], r["title"]),
                w.num(r["posts_current"], 1),
                ci(r, "fte_in_post_mean", "current"),
                w.num(r["posts_recommended"], 1),
                ci(r, "fte_in_post_mean", "recommended"),
                w.pct(vac, 1) if not math.isnan(vac) else formats.MISSING,
                ci(r, "leavers_per_year", "recommended", 1),
            ]
        )
    n = int(table["n_recommended"].iloc[0])
    return [
        Block("p", w("establishment_text", n=n)),
        Block("table", header=head, rows=rows),
    ]


def _register_rows(entries: list[assumptions.Entry], w: Words) -> list[list[str]]:
    rows = []
    for e in entries:
        basis = w(f"basis_{e.kind}")
        if e.interval:
            basis += f" ({w('interval', low=e.interval[0], high=e.interval[1])}"
            basis += f", n={e.n})" if e.n is not None else ")"
        rows.append([e.path, e.value, basis, e.note])
    return rows


def section_four(figures: BriefFigures, w: Words) -> list[Block]:
    out = [
        Block("h1", w("s4")),
        Block("h2", w("s4_1")),
        Block("p", w("s4_1_text", scenario=w.scenario(figures.base.scenario))),
    ]
    head = [w("col_input"), w("col_value"), w("col_basis"), w("col_source")]
    out.append(Block("table", header=head, rows=_register_rows(figures.base.register, w)))
    for f in figures.options:
        changes = assumptions.changed(figures.base.register, f.register)
        if changes:
            out.append(Block("h3", w("s4_changes", option=w.scenario(f.scenario))))
            out.append(Block("table", header=head, rows=_register_rows(changes, w)))
    s = figures.sensitivity
    out.append(Block("h2", w("s4_2")))
    if len(s):
        central = s.attrs["central_fte"]
        text = w(
            "s4_2_text",
            option=figures.sensitivity_option,
            target=s.attrs["target"],
            central=w.pm(central.mean, central.half_width, 2),
            n=central.n,
        )
        out.append(Block("p", text))
        out.append(Block("image", w("chart_sensitivity"), png=sensitivity_chart(s, w)))
        head = [w("col_factor"), w("col_range"), w("col_low"), w("col_high"), w("col_still_met")]
        rows = []
        for name, group in s.groupby("factor", sort=False):
            low = group[group["level"] == "low"].iloc[0]
            high = group[group["level"] == "high"].iloc[0]
            if not math.isnan(low["scale"]):
                span = w("range_scale", low=w.num(low["scale"], 2), high=w.num(high["scale"], 2))
            else:
                span = w("range_values", low=w.num(low["value"], 2), high=w.num(high["value"], 2))
            still = w(
                "yes_no",
                low=w("word_yes") if low["met"] else w("word_no"),
                high=w("word_yes") if high["met"] else w("word_no"),
            )
            rows.append(
                [
                    w(f"f_{name}"),
                    span,
                    w.pm(low["fte_difference"], low["fte_half_width"], 2),
                    w.pm(high["fte_difference"], high["fte_half_width"], 2),
                    still,
                ]
            )
        out.append(Block("table", header=head, rows=rows))
    return out


def section_five(figures: BriefFigures, w: Words) -> list[Block]:
    confidence = w.pct(figures.base.staffing.confidence)
    out = [Block("h1", w("s5")), Block("p", w("s5_text", confidence=confidence))]
    rows = [[w("m_version"), figures.version]]
    for f in figures.all:
        rows.append(
            [
                w("m_scenario", scenario=w.scenario(f.scenario)),
                f"{f.scenario.content_hash()} ({f.path.name})",
            ]
        )
    rows.append([w("m_seed"), str(figures.seed)])
    rows.append([w("m_replications"), str(figures.replications)])
    for f in figures.all:
        st = f.staffing
        rows.append(
            [
                w("m_search", scenario=w.scenario(f.scenario)),
                f"{st.evaluations}; {st.confirmation_replications}; {st.confirmation_seed}",
            ]
        )
    if len(figures.sensitivity):
        rows.append([w("m_sensitivity"), str(int(figures.sensitivity["n"].max()))])
    rows.append([w("m_rerun"), figures.command])
    out.append(Block("table", header=[w("col_item"), w("col_value")], rows=rows))
    return out


def build(figures: BriefFigures, lang: str) -> Part:
    w = Words(lang)
    start = w.date(figures.base.scenario.start_date)
    names = ", ".join(w.scenario(f.scenario) for f in figures.all)
    blocks = [
        Block("p", w("subtitle", force_options=names, start=start)),
        Block("p", w("figures_note", n=figures.replications)),
        Block("h1", w("s1")),
        *key_messages(figures, w),
    ]
    blocks += section_two(figures, w)
    blocks += section_three(figures, w)
    blocks += section_four(figures, w)
    blocks += section_five(figures, w)
    return Part(lang, w("title"), blocks)


def build_parts(figures: BriefFigures, lang: str) -> list[Part]:
    """``en``, ``cy`` or ``both`` (Welsh first, as Welsh public bodies publish)."""
    langs = ["cy", "en"] if lang == "both" else [lang]
    return [build(figures, one) for one in langs]


def tables_frame(figures: BriefFigures) -> dict[str, pd.DataFrame]:
    """The financial-year tables of every scenario, for the CSV files."""
    years, cases = [], []
    for f in figures.all:
        years.append(f.years.assign(scenario=f.scenario.name))
        cases.append(f.case_years.assign(scenario=f.scenario.name))
    all_years = pd.concat(years, ignore_index=True)
    all_cases = pd.concat(cases, ignore_index=True)
    cat = all_cases["metric"] == "referrals_by_category"
    frames = {
        "financial_years.csv": pd.concat([all_years, all_cases[~cat]], ignore_index=True),
        "categories.csv": all_cases[cat].reset_index(drop=True),
        "sensitivity.csv": figures.sensitivity.assign(scenario=figures.sensitivity_option),
        "waits.csv": pd.DataFrame(_waits_records(figures)),
    }
    workforce = [
        f.workforce_years.assign(scenario=f.scenario.name)
        for f in figures.all
        if f.workforce_years is not None
    ]
    if workforce:  # only with turnover
        frames["workforce.csv"] = pd.concat(workforce, ignore_index=True)
    return frames


def _waits_records(figures: BriefFigures) -> list[dict[str, Any]]:
    """One row per scenario and worked stage: the censored waits and the verdict."""
    rows = []
    for f in figures.all:
        for stage, waits in f.waits.items():
            row: dict[str, Any] = {"scenario": f.scenario.name, "stage": stage}
            row["status"] = waits.status
            for name, e in (
                ("median_days", waits.median),
                ("p90_days", waits.p90),
                ("still_waiting_end", waits.waiting_end),
                ("still_waiting_share", waits.waiting_end_share),
                ("queue_growth_per_year", waits.growth_per_year),
            ):
                row.update({f"{name}_{k}": v for k, v in e.as_dict().items()})
            row["median_undefined_in"] = waits.median_undefined_in
            row["p90_undefined_in"] = waits.p90_undefined_in
            rows.append(row)
    return rows
