"""Landing page: what the tool answers, how to use it, and what to trust."""

from __future__ import annotations

import streamlit as st

from app import ui
from app.i18n import t

ui.heading("welcome")
st.markdown(t("welcome.question"))
st.subheader(t("welcome.how_title"))
st.markdown(t("welcome.how"))
st.subheader(t("welcome.trust_title"))
st.markdown(t("welcome.trust"))
st.page_link("screens/scenario.py", label=t("welcome.start"), icon=":material/arrow_forward:")
