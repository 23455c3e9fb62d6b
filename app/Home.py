"""Entry point of the commissioner's app: ``streamlit run app/Home.py`` (``make app``).

It sets the page up, shows the language switch, lists the pages (their titles come
from the language catalogue, so the menu changes language too) and starts the worker
processes in the background so the first run does not wait for them.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # Streamlit puts only app/ on the path; pages import app.*
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from app import runs, share, state, ui  # noqa: E402
from app.i18n import t  # noqa: E402

# (catalogue name, file) of each page, in menu order; the first is the landing page.
# The folder is screens/, not pages/: Streamlit treats a pages/ folder beside the
# entrypoint as an old-style app and, on a fresh server, runs a page opened by its
# address without this script (no menu, no language switch, no import path).
# (A comment, not a docstring: Streamlit's "magic" would print a bare string on the page.)
PAGES: tuple[tuple[str, str], ...] = (
    ("welcome", "screens/welcome.py"),
    ("scenario", "screens/scenario.py"),
    ("results", "screens/results.py"),
    ("demand", "screens/demand.py"),
    ("staffing", "screens/staffing.py"),
    ("compare", "screens/compare.py"),
    ("calibrate", "screens/calibrate.py"),
    ("export", "screens/export.py"),
    ("brief", "screens/brief.py"),
)


def main() -> None:
    """Draw the app. Only when Streamlit runs this file as the main script: worker
    processes started from a fork server import the main module again (as
    ``__mp_main__``), and must not draw an app or start pools of their own."""
    st.set_page_config(page_title=t("app.title"), layout="wide")
    # The menu comes before the language switch: Streamlit 1.67 ignores clicks on an
    # entrypoint widget drawn before st.navigation(). The switch's new value is already in
    # the session when the script reruns, so the menu is still in the chosen language.
    navigation = st.navigation(
        [
            st.Page(file, title=t(f"pages.{page}.nav"), url_path=page, default=(i == 0))
            for i, (page, file) in enumerate(PAGES)
        ]
    )
    ui.language_switch()
    ui.page_setup()
    share.restore_once()
    st.sidebar.caption(t("app.sidebar_note"))
    runs.warm_up(state.workers())
    navigation.run()


if __name__ == "__main__":
    main()
