"""What each results chart shows: figure, data table, plain reading and note, built from
``RunResults`` only through the ``model`` API (estimates, weekly series, target status).

The Results page and the HTML report draw the same views, so the report shows exactly
what the screen showed, in the language chosen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from app import charts
from app.formatting import ci_text, date_text, level, period_text, years_text
from app.i18n import current_language, name, number, percent, t
from model.overload import OVERLOADED, all_stage_waits
from model.replications import Estimate, RunResults
from model.scenario import Scenario

WEEKS_PER_YEAR = 52


@dataclass
class View:
    """One chart with everything shown beside it."""

    key: str
    title: str
    figure: go.Figure
    table: pd.DataFrame
    reading: str
    note: str


def scenario_title(scenario: Scenario) -> str:
    """The scenario's title in the current language: ``title_cy`` in Welsh when the file
    gives one, else ``title``, else its ``name``."""
    if current_language() == "cy" and scenario.title_cy:
        return scenario.title_cy
    return scenario.title or scenario.name


def scenario_description(scenario: Scenario) -> str:
    """The scenario's description in the current language (English if no Welsh given)."""
    if current_language() == "cy" and scenario.description_cy:
        return scenario.description_cy
    return scenario.description


def stage_name(scenario: Scenario, stage: str) -> str:
    return name("stages", stage, scenario.stages[stage].title)


def role_name(scenario: Scenario, role: str) -> str:
    return name("roles", role, scenario.roles[role].title)


def source_name(scenario: Scenario, source: str) -> str:
    return name("sources", source, scenario.sources[source].title)


def outcome_name(outcome: str) -> str:
    return name("outcomes", outcome, outcome.replace("_", " "))


def target_name(scenario: Scenario, target: str) -> str:
    return name("targets", target, scenario.targets[target].description or target)


def _rows(estimates: dict[str, Estimate], kpis: dict[str, str], series: str = "") -> list[dict]:
    """label -> KPI name pairs as table rows with mean, CI and n."""
    return [
        {
            "label": label,
            "series": series,
            "mean": estimates[kpi].mean,
            "ci_low": estimates[kpi].ci_low,
            "ci_high": estimates[kpi].ci_high,
            "n": estimates[kpi].n,
        }
        for label, kpi in kpis.items()
        if kpi in estimates
    ]


def data_table(frame: pd.DataFrame, columns: dict[str, str], digits: int = 3) -> pd.DataFrame:
    """The data table beside a chart: chosen columns, translated headers, rounded numbers."""
    shown = frame[list(columns)].copy()
    for column in shown.columns:
        if pd.api.types.is_float_dtype(shown[column]):
            shown[column] = shown[column].round(digits)
    return shown.rename(columns={c: t(key) for c, key in columns.items()})


INTERVAL_COLUMNS = {
    "label": "cols.item",
    "series": "cols.measure",
    "mean": "cols.mean",
    "ci_low": "cols.ci_low",
    "ci_high": "cols.ci_high",
    "n": "cols.n",
}


def _note(kind: str, n: int) -> str:
    return t(f"ui.note_{kind}", level=level(), n=n)


def _top(rows: list[dict]) -> dict:
    finite = [r for r in rows if not math.isnan(r["mean"])]
    return max(finite, key=lambda r: r["mean"]) if finite else {"label": "–", "mean": math.nan}


def x_title(scenario: Scenario) -> str:
    return t("charts.years_from", start=date_text(scenario.start_date))


# --------------------------------------------------------------------------- views


def backlog(results: RunResults, stages: list[str] | None = None) -> View:
    scenario, est = results.scenario, results.estimates()
    weekly = results.backlog_weekly()
    keep = stages or list(scenario.stages)
    weekly = weekly[weekly["key"].isin(keep)].copy()
    weekly["series"] = [stage_name(scenario, s) for s in weekly["key"]]
    weekly["x"] = weekly["week"] / WEEKS_PER_YEAR
    figure = charts.line_panels(weekly, x_title=x_title(scenario), y_title=t("charts.open_cases"))
    per_stage = {stage_name(scenario, s): f"backlog_end.{s}" for s in keep}
    top = _top(_rows(est, per_stage))
    end, start = est["backlog_end_total"], est["backlog_start_total"]
    reading = t(
        "results.backlog_reading",
        end=number(end.mean, 0),
        ci=ci_text(end, 0),
        start=number(start.mean, 0),
        stage=top["label"],
        stage_end=number(top["mean"], 0),
    )
    # Dates in words, as in the sentences around them (never ISO in one place, long elsewhere).
    weekly["week_ending"] = [date_text(day) for day in weekly["week_ending"].dt.date]
    table = data_table(
        weekly,
        {
            "series": "cols.stage",
            "week": "cols.week",
            "week_ending": "cols.week_ending",
            "mean": "cols.mean",
            "ci_low": "cols.ci_low",
            "ci_high": "cols.ci_high",
            "n": "cols.n",
        },
        2,
    )
    return View(
        "backlog", t("results.backlog_title"), figure, table, reading, _note("band", results.n)
    )


def waits(results: RunResults) -> View:
    """Median and 90th-percentile waits with the cases still waiting counted (Kaplan-Meier);
    an overloaded stage is said in words and left out of the chart (its wait has no settled
    value), see ``model.overload``."""
    scenario, est = results.scenario, results.estimates()
    verdicts = all_stage_waits(results)
    overloaded = [s for s, w in verdicts.items() if w.status == OVERLOADED]
    staffed = [s for s in verdicts if s not in overloaded]
    mean_rows = _rows(
        est,
        {stage_name(scenario, s): f"wait_km_median_days.{s}" for s in staffed},
        t("overload.median"),
    )
    p90_rows = _rows(
        est,
        {stage_name(scenario, s): f"wait_km_p90_days.{s}" for s in staffed},
        t("overload.p90"),
    )
    # Targets on the time from referral to a stage's start, drawn on that stage's row.
    thresholds = pd.DataFrame(
        [
            {
                "label": stage_name(scenario, target.stage),
                "threshold": target.within_days,
                "text": target_name(scenario, key),
            }
            for key, target in scenario.targets.items()
            if target.kind == "share_within"
        ],
        columns=["label", "threshold", "text"],
    )
    frame = pd.DataFrame(mean_rows + p90_rows)
    figure = charts.intervals(
        frame,
        title=t("results.waits_title"),
        x_title=t("charts.days"),
        thresholds=thresholds,
        threshold_label=t("charts.target_marker"),
    )
    top = _top(mean_rows)
    p90 = next((r["mean"] for r in p90_rows if r["label"] == top["label"]), float("nan"))
    reading = t(
        "overload.reading_settled",
        stage=top["label"],
        median=number(top["mean"], 1),
        p90=number(p90, 1),
    )
    if overloaded:
        worst = max(overloaded, key=lambda s: verdicts[s].growth_per_year.mean)
        reading = t(
            "overload.reading_overloaded",
            stages=", ".join(stage_name(scenario, s) for s in overloaded),
            stage=stage_name(scenario, worst),
            growth=number(verdicts[worst].growth_per_year.mean / 12, 0),
            waiting=number(verdicts[worst].waiting_end.mean, 0),
        )
    return View(
        "waits",
        t("results.waits_title"),
        figure,
        data_table(frame, INTERVAL_COLUMNS, 2),
        reading,
        _note("whiskers", results.n),
    )


def time_to_outcome(results: RunResults) -> View:
    scenario, est = results.scenario, results.estimates()
    journey = t("charts.whole_journey")
    kpis = {journey: "sojourn_mean_days"}
    kpis.update({stage_name(scenario, s): f"time_in_stage_mean_days.{s}" for s in scenario.stages})
    frame = pd.DataFrame(_rows(est, kpis, t("charts.mean")))
    investigation = scenario.reporting.investigation_stage
    thresholds = pd.DataFrame(columns=["label", "threshold", "text"])
    if investigation is not None:
        days = scenario.reporting.pcc_report_after_days
        thresholds = pd.DataFrame(
            [
                {
                    "label": stage_name(scenario, investigation),
                    "threshold": days,
                    "text": t("charts.pcc_point", period=period_text(days)),
                }
            ]
        )
    figure = charts.intervals(
        frame,
        title=t("results.outcome_time_title"),
        x_title=t("charts.days"),
        thresholds=thresholds,
        threshold_label=t("charts.pcc_marker"),
    )
    whole = est["sojourn_mean_days"]
    if investigation is not None:
        inv = est[f"time_in_stage_mean_days.{investigation}"]
        reading = t(
            "results.outcome_time_reading",
            mean=number(whole.mean, 0),
            ci=ci_text(whole, 0),
            inv=number(inv.mean, 0),
            period=period_text(scenario.reporting.pcc_report_after_days),
        )
    else:
        reading = t(
            "results.outcome_time_reading_plain", mean=number(whole.mean, 0), ci=ci_text(whole, 0)
        )
    return View(
        "time_to_outcome",
        t("results.outcome_time_title"),
        figure,
        data_table(frame, INTERVAL_COLUMNS, 2),
        reading,
        _note("whiskers", results.n),
    )


def target_verdict(row: dict) -> str:
    """Met / uncertain / missed in words with a symbol, so colour is never needed."""
    if row["met_with_confidence"]:
        return t("results.met")
    if row["met"]:
        return t("results.uncertain")
    return t("results.missed")


def threshold_text(row: dict) -> str:
    key = "results.at_least" if row["direction"] == ">=" else "results.at_most"
    return t(key, value=percent(row["threshold"], 0))


def target_frame(results: RunResults) -> pd.DataFrame:
    """Target status from the model with display names, verdicts and threshold words."""
    status = results.target_status()
    if not len(status):
        return status
    rows = status.to_dict(orient="records")
    status["label"] = [target_name(results.scenario, r["target"]) for r in rows]
    status["verdict"] = [target_verdict(r) for r in rows]
    status["needs"] = [threshold_text(r) for r in rows]
    status["series"] = t("charts.estimate")
    return status


def targets(results: RunResults) -> View | None:
    status = target_frame(results)
    if not len(status):
        return None
    kinds = [results.scenario.targets[key].kind for key in status["target"]]
    status["kind"] = kinds
    panels = []
    for kind in dict.fromkeys(kinds):
        part = status[status["kind"] == kind]
        thresholds = pd.DataFrame(
            {"label": part["label"], "threshold": part["threshold"], "text": part["needs"]}
        )
        panels.append((t(f"charts2.axis_{kind}"), part, thresholds))
    figure = charts.interval_panels(panels, threshold_label=t("charts.target_marker"), percent=True)
    met = int(status["met_with_confidence"].sum())
    others = [r["label"] for r in status.to_dict(orient="records") if not r["met_with_confidence"]]
    reading = t("results.targets_reading", met=met, total=len(status), level=level())
    if others:
        reading += " " + t("results.targets_reading_missed", names="; ".join(others))
    table = data_table(
        status,
        {
            "label": "cols.target",
            "needs": "cols.needs",
            "mean": "cols.mean",
            "ci_low": "cols.ci_low",
            "ci_high": "cols.ci_high",
            "n": "cols.n",
            "verdict": "cols.verdict",
        },
        4,
    )
    return View(
        "targets", t("results.targets_title"), figure, table, reading, _note("whiskers", results.n)
    )


def utilisation(results: RunResults) -> View:
    scenario, est = results.scenario, results.estimates()
    rows = _rows(
        est,
        {role_name(scenario, r): f"utilisation.{r}" for r in scenario.roles},
        t("charts.estimate"),
    )
    frame = pd.DataFrame(rows)
    figure = charts.intervals(
        frame,
        title=t("results.utilisation_title"),
        x_title=t("charts.share_of_time"),
        percent=True,
        reference=1.0,
        reference_label=t("charts.all_time"),
    )
    finite = [r for r in rows if not math.isnan(r["mean"])]
    top = max(finite, key=lambda r: r["mean"]) if finite else {"label": "–", "mean": math.nan}
    low = min(finite, key=lambda r: r["mean"]) if finite else {"label": "–", "mean": math.nan}
    reading = t(
        "results.utilisation_reading",
        top=top["label"],
        top_u=percent(top["mean"]),
        low=low["label"],
        low_u=percent(low["mean"]),
    )
    return View(
        "utilisation",
        t("results.utilisation_title"),
        figure,
        data_table(frame, INTERVAL_COLUMNS, 4),
        reading,
        _note("whiskers", results.n),
    )


def outcomes(results: RunResults) -> View:
    scenario, est = results.scenario, results.estimates()
    rows = _rows(
        est, {outcome_name(o): f"closed.{o}" for o in scenario.outcomes}, t("charts.estimate")
    )
    frame = pd.DataFrame(rows)
    positive = frame["mean"][frame["mean"] > 0]
    spread = len(positive) > 1 and positive.max() > 20 * positive.min()
    figure = charts.intervals(
        frame, title=t("results.outcomes_title"), x_title=t("charts.cases_closed"), log=spread
    )
    top = _top(rows)
    total = sum(r["mean"] for r in rows if not math.isnan(r["mean"]))
    reading = t(
        "results.outcomes_reading",
        outcome=top["label"],
        n=number(top["mean"], 0),
        total=number(total, 0),
        years=years_text(scenario.horizon_years),
    )
    note = _note("whiskers", results.n)
    if spread:
        note += " " + t("charts2.log_note")
    return View(
        "outcomes",
        t("results.outcomes_title"),
        figure,
        data_table(frame, INTERVAL_COLUMNS, 2),
        reading,
        note,
    )


def referrals(results: RunResults) -> View:
    scenario, est = results.scenario, results.estimates()
    rows = _rows(
        est,
        {source_name(scenario, s): f"arrivals_per_year.{s}" for s in scenario.sources},
        t("charts.estimate"),
    )
    frame = pd.DataFrame(rows)
    figure = charts.intervals(
        frame, title=t("demand.referrals_title"), x_title=t("charts.per_year")
    )
    top = _top(rows)
    total = sum(r["mean"] for r in rows if not math.isnan(r["mean"]))
    reading = t(
        "demand.referrals_reading",
        source=top["label"],
        n=number(top["mean"], 0),
        share=percent(top["mean"] / total if total else math.nan),
    )
    return View(
        "referrals",
        t("demand.referrals_title"),
        figure,
        data_table(frame, INTERVAL_COLUMNS, 2),
        reading,
        _note("whiskers", results.n),
    )


# --------------------------------------------------------------------------- headline


@dataclass
class Headline:
    """A headline card: label, estimate and how to show it."""

    key: str
    label: str
    estimate: Estimate
    digits: int
    as_percent: bool
    help: str
    verdict: str = ""


def headlines(results: RunResults) -> list[Headline]:
    """Backlog at the end, investigations over the PCC reporting point, first action, and
    every target with its verdict."""
    scenario, est = results.scenario, results.estimates()
    cards = [
        Headline(
            "backlog_end_total",
            t("results.card_backlog"),
            est["backlog_end_total"],
            0,
            False,
            t("results.card_backlog_help"),
        )
    ]
    if scenario.reporting.investigation_stage is not None:
        cards.append(
            Headline(
                "pcc_investigations_over_share",
                t(
                    "results.card_over",
                    period=period_text(scenario.reporting.pcc_report_after_days),
                ),
                est["pcc_investigations_over_share"],
                1,
                True,
                t("results.card_over_help"),
            )
        )
    if scenario.reporting.first_action_stage is not None:
        cards.append(
            Headline(
                "first_action_mean_days",
                t("results.card_first_action"),
                est["first_action_mean_days"],
                1,
                False,
                t("results.card_first_action_help"),
            )
        )
    status = target_frame(results)
    for row in status.to_dict(orient="records") if len(status) else []:
        cards.append(
            Headline(
                f"target.{row['target']}",
                row["label"],
                est[f"target.{row['target']}"],
                1,
                True,
                t("results.card_target_help"),
                verdict=f"{row['verdict']} ({row['needs']})",
            )
        )
    return cards


# --------------------------------------------------------------------------- KPI names

PERCENT_KPIS = ("pcc_investigations_over_share", "target.", "utilisation.")
"""KPIs that are shares (shown as percentages)."""


def is_percent(kpi: str) -> bool:
    return any(kpi == p or (p.endswith(".") and kpi.startswith(p)) for p in PERCENT_KPIS)


def kpi_label(scenario: Scenario, kpi: str) -> str:
    """A KPI's name in words, e.g. ``utilisation.ds`` -> 'Utilisation: Detective Sergeant'."""
    metric, _, key = kpi.partition(".")
    if metric == "target" and key in scenario.targets:
        return t("kpis.target", name=target_name(scenario, key))
    if metric in ("utilisation", "staff_hours_per_year") and key in scenario.roles:
        return t(f"kpis.{metric}", name=role_name(scenario, key))
    if metric in ("wait_mean_days", "backlog_end") and key in scenario.stages:
        return t(f"kpis.{metric}", name=stage_name(scenario, key))
    if metric == "pcc_investigations_over_share":
        return t("kpis.pcc_over", period=period_text(scenario.reporting.pcc_report_after_days))
    if metric in ("backlog_end_total", "first_action_mean_days", "sojourn_mean_days"):
        return t(f"kpis.{metric}")
    if metric == "referrals_total":
        return t("kpis.referrals_total", years=years_text(scenario.horizon_years))
    return kpi


def comparison_kpis(scenario: Scenario) -> list[str]:
    """The figures a side-by-side comparison shows, headline figures first."""
    kpis = ["backlog_end_total"]
    if scenario.reporting.investigation_stage is not None:
        kpis.append("pcc_investigations_over_share")
    if scenario.reporting.first_action_stage is not None:
        kpis.append("first_action_mean_days")
    kpis += ["sojourn_mean_days", "referrals_total"]
    kpis += [f"target.{name}" for name in scenario.targets]
    kpis += [f"utilisation.{role}" for role in scenario.roles]
    kpis += [f"staff_hours_per_year.{role}" for role in scenario.roles]
    kpis += [f"wait_mean_days.{s}" for s, stage in scenario.stages.items() if stage.role]
    return kpis
