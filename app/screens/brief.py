"""Decision brief page: the same brief as ``acusim brief``, built from the shipped scenario
files, downloadable as Word, HTML and CSV, in English, Welsh or both."""

from __future__ import annotations

import io
import tempfile
import time
import zipfile
from pathlib import Path

import streamlit as st

from app import state, ui
from app.i18n import current_language, t

SCENARIOS = Path(__file__).resolve().parent.parent.parent / "scenarios"
BRIEF_KEY = "brief:result"


def _build(base: Path, options: list[Path], lang: str, replications: int) -> dict[str, bytes]:
    from planning.brief.figures import gather
    from planning.brief.write import write_brief

    command = _command(base, options, lang, replications)
    figures = gather(
        base, options, replications=replications, workers=state.workers(), command=command
    )
    with tempfile.TemporaryDirectory(prefix="acusim-brief-") as folder:
        written = write_brief(figures, Path(folder), lang)
        return {p.name: p.read_bytes() for p in written}


def _command(base: Path, options: list[Path], lang: str, replications: int) -> str:
    parts = [f"acusim brief scenarios/{base.name}"]
    parts += [f"--option scenarios/{p.name}" for p in options]
    return " ".join([*parts, f"--lang {lang}", f"-n {replications}"])


ui.heading("brief")
files = sorted(SCENARIOS.glob("*.yaml"))
names = [p.stem for p in files]
# Scenarios by their titles in the reader's language, not their file names (a repeated
# title gets its file's stem after it, so two alike are still told apart).
titles = ui.option_labels(names, lambda stem: ui.shipped_title(f"{stem}.yaml"))
base_name = st.selectbox(
    t("brief_page.base"),
    names,
    index=names.index("baseline") if "baseline" in names else 0,
    format_func=titles,
)
choices = [n for n in names if n != base_name]
option_names = st.multiselect(
    t("brief_page.options"),
    choices,
    default=[n for n in choices if n == "full_mobile_monitoring"],
    format_func=titles,
)
langs = ["en", "cy", "both"]
lang = st.radio(
    t("brief_page.language"),
    langs,
    index=langs.index(current_language()),
    format_func=lambda code: t(f"brief_page.lang_{code}"),
    horizontal=True,
)
replications = st.slider(t("brief_page.replications"), 3, 30, 10)
base = SCENARIOS / f"{base_name}.yaml"
options = [SCENARIOS / f"{n}.yaml" for n in option_names]
st.caption(t("brief_page.note"))
# The command is for planners: out of the commissioner's way, one click away for them.
with st.expander(t("brief_cli.title")):
    st.markdown(t("brief_cli.explain"))
    st.code(_command(base, options, lang, replications), language="bash", wrap_lines=True)

if st.button(t("brief_page.build"), type="primary", disabled=not options):
    started = time.perf_counter()
    with st.spinner(t("brief_page.building")):
        st.session_state[BRIEF_KEY] = (_build(base, options, lang, replications), lang)
    st.success(t("brief_page.done", seconds=f"{time.perf_counter() - started:.0f}"))
elif not options:
    st.info(t("brief_page.need_option"))

if BRIEF_KEY in st.session_state:
    built, built_lang = st.session_state[BRIEF_KEY]
    st.download_button(
        t("brief_page.docx"),
        built["brief.docx"],
        file_name=f"brief-{built_lang}.docx",
        mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        key="download:brief-docx",
    )
    st.download_button(
        t("brief_page.html"),
        built["brief.html"],
        file_name=f"brief-{built_lang}.html",
        mime="text/html",
        key="download:brief-html",
    )
    tables = io.BytesIO()
    with zipfile.ZipFile(tables, "w") as archive:
        for name, data in built.items():
            if name.endswith(".csv"):
                archive.writestr(name, data)
    st.download_button(
        t("brief_page.csv"),
        tables.getvalue(),
        file_name="brief-tables.zip",
        mime="application/zip",
        key="download:brief-csv",
    )
