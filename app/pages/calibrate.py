"""Calibrate page. Calibration to a force's case extract is being built (``calibration/``);
until it can fit a scenario, this page says so plainly rather than pretend."""

from __future__ import annotations

import streamlit as st

from app import ui
from app.i18n import t

ui.heading("calibrate")
st.info(t("calibrate.coming"))
st.markdown(t("calibrate.meanwhile"))
