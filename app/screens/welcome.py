"""Landing page: the commissioner's question first, answered in one step (pick the
situation, press Run, read the verdict), then how to use the tool and what to trust."""

from __future__ import annotations

import streamlit as st

from app import runs, share, state, ui, views
from app.i18n import t

PICK_KEY = "widget:quick_pick"


def question() -> None:
    """Choose a shipped scenario by its title (today, full mobile monitoring, none) and run
    it as its file says; the Results page then opens with the verdict at the top."""
    files = state.shipped_scenarios()
    current = state.origin()
    # One widget per language, labels fixed per run: Streamlit 1.67 sends the choice
    # back as its label, which changes with the language (see ui.choice_key).
    key = ui.choice_key(PICK_KEY, current.file if current.file in files else files[0])
    with st.container(border=True):
        ui.section(t("quick.title"))
        choice = st.radio(
            t("quick.pick"),
            files,
            key=key,
            format_func=ui.option_labels(files, ui.shipped_title),
            help=t("quick.pick_help"),
        )
        ui.keep_choice(PICK_KEY, choice)
        description = views.scenario_description(state.load_shipped(choice))
        if description:
            st.caption(ui.plain(description))
        if st.button(t("run.button"), type="primary", key="widget:run", help=t("quick.run_help")):
            state.choose_shipped(choice)
            scenario = ui.adjusted_scenario_or_stop()
            runs.run(scenario, state.workers())
            params = share.encode(state.origin(), state.lever_values())
            st.switch_page("screens/results.py", query_params=params or None)
        st.page_link("screens/scenario.py", label=t("quick.more_link"))


ui.heading("welcome")
question()  # first, so on a phone the question is on the first screen
st.markdown(t("welcome.question"))
ui.section(t("welcome.how_title"))
st.markdown(t("welcome.how"))
ui.section(t("welcome.trust_title"))
st.markdown(t("welcome.trust"))
