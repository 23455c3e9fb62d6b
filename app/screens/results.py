"""Results page: the verdict first (targets met or missed, in plain words), then headline
figures with intervals, backlog, waits, time to outcome, targets, staff utilisation and
outcomes for the adjusted scenario."""

from __future__ import annotations

import streamlit as st

from app import runs, share, state, ui, views
from app.i18n import t
from app.verdict import show_verdict, verdict

CARDS_PER_ROW = 3


def show_headlines(results) -> None:
    """The headline figures that are not targets (targets are in the verdict above)."""
    cards = [card for card in views.headlines(results) if not card.key.startswith("target.")]
    for start in range(0, len(cards), CARDS_PER_ROW):
        columns = st.columns(CARDS_PER_ROW)
        for column, card in zip(columns, cards[start : start + CARDS_PER_ROW], strict=False):
            with column:
                ui.estimate_card(card.label, card.estimate, card.digits, card.as_percent, card.help)


ui.heading("results")
scenario = ui.adjusted_scenario_or_stop()

ui.scenario_banner(scenario)
results = runs.results_or_stop(scenario, state.workers(), auto=share.take_asked())
share.remember(state.origin(), state.lever_values())

show_verdict(verdict(results))
ui.section(t("results.headlines_title"))
show_headlines(results)
stages_key = "widget:stages:" + ",".join(scenario.stages)
stage_choice = st.multiselect(
    t("results.stages_pick"),
    list(scenario.stages),
    format_func=lambda s: views.stage_name(scenario, s),
    key=ui.choice_key(stages_key, list(scenario.stages)),
)
ui.keep_choice(stages_key, stage_choice)
ui.show_view(views.backlog(results, stage_choice or None))
ui.show_view(views.waits(results))
ui.show_view(views.time_to_outcome(results))
ui.show_view(views.targets(results))
ui.show_view(views.utilisation(results))
ui.show_view(views.outcomes(results))
with st.expander(t("share.title")):
    st.markdown(t("share.help"))
