"""The Calibrate page, driven headless: a synthetic extract is uploaded and fitted, the
downloads are exactly what ``calibration.calibrate_extract`` gives for the same files and
settings, the fit becomes the chosen scenario, bad files give plain errors naming the file
and column, personal data in extra columns never reach the screen, and it all reads in
Welsh."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pandas as pd
import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

from app.formatting import plain
from app.i18n import catalogue, number
from calibration import calibrate_extract
from calibration.extract import read_extract
from calibration.synth import synthesise
from model.scenario import load_scenario
from tests.app.conftest import click, go, open_app
from tests.conftest import SCENARIOS

BASELINE = load_scenario(SCENARIOS / "baseline.yaml")
AS_OF = dt.date(2027, 4, 1)
EN, CY = catalogue("en"), catalogue("cy")
SECRET = "Sergeant Example-Person"
"""A name in an extra column: calibration must ignore it, and the page must never show it."""
UPLOADERS = {
    "referrals": "widget:cal_referrals",
    "events": "widget:cal_events",
    "staffing": "widget:cal_staffing",
}


@pytest.fixture(scope="module")
def extract() -> dict[str, bytes]:
    """A year and a half of the baseline unit as CSV bytes, with a personal-data column."""
    synthetic = synthesise(BASELINE, 1.5, AS_OF)
    referrals = synthetic.referrals.assign(subject_name=SECRET)
    return {
        "referrals": referrals.to_csv(index=False).encode("utf-8"),
        "events": synthetic.events.to_csv(index=False).encode("utf-8"),
        "staffing": synthetic.staffing.to_csv(index=False).encode("utf-8"),
    }


@pytest.fixture(scope="module")
def expected(extract):
    """The same fit made directly with the model API and the page's default settings."""
    return calibrate_extract(
        extract["referrals"], extract["events"], extract["staffing"], AS_OF, template=BASELINE
    )


@pytest.fixture
def downloads(monkeypatch):
    """The bytes behind each download button (AppTest keeps media in a store it discards)."""
    kept: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def keep(self, path_or_data, mimetype, kind, filename=None):
        file_id = original(self, path_or_data, mimetype, kind, filename)
        kept[file_id] = path_or_data
        return file_id

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", keep)
    return lambda button: kept[button.proto.url.rsplit("/", 1)[-1].split(".")[0]]


def upload(at, files: dict[str, bytes], names: dict[str, str] | None = None):
    for what, data in files.items():
        file_name = (names or {}).get(what, f"{'stage_events' if what == 'events' else what}.csv")
        at.file_uploader(key=UPLOADERS[what]).set_value((file_name, data, "text/csv"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def download(at, key: str):
    return next(b for b in at.get("download_button") if b.proto.id.endswith(key))


def shown_text(at) -> str:
    """Everything written on the page, tables included."""
    parts = [
        e.value
        for kind in ("title", "subheader", "markdown", "caption", "info", "warning", "error")
        for e in getattr(at, kind)
    ]
    parts += [frame.value.to_csv() for frame in at.dataframe]
    return "\n".join(str(p) for p in parts)


def test_a_synthetic_extract_fits_and_becomes_the_chosen_scenario(extract, expected, downloads):
    at = go(open_app(), "calibrate")
    assert at.button(key="widget:fit").disabled
    upload(at, extract)
    at.date_input(key="widget:cal_as_of").set_value(AS_OF).run()
    click(at, "widget:fit")
    assert not at.error
    cal = expected.calibration
    summary = next(m.value for m in at.markdown if m.value.startswith("Fitted to"))
    assert f"{number(cal.n_referrals, 0)} referrals" in summary
    assert f"{number(cal.n_events, 0)} stage events" in summary
    assert "1 April 2027" in summary  # the as-of date given, not the latest timestamp
    table = at.dataframe[0].value
    assert len(table) == len(cal.arrivals)
    assert sorted(table[EN["calibrate.col_referrals"]]) == sorted(
        f.n for f in cal.arrivals.values()
    )
    assert "ICT monitoring alerts (mobile devices)" in set(table[EN["cols.source"]])

    yaml_button = download(at, "download:calibrated_yaml")
    report_button = download(at, "download:calibration_report")
    assert yaml_button.proto.label == EN["calibrate.yaml_button"]
    assert report_button.proto.label == EN["calibrate.report_button"]
    assert downloads(yaml_button).decode("utf-8") == expected.yaml_text
    report = downloads(report_button).decode("utf-8")  # plotly gives each chart a fresh id
    assert report.startswith("<!DOCTYPE html") and report.endswith("</html>")
    assert abs(len(report) - len(expected.report_html)) < 100
    assert all(SECRET not in text for text in (shown_text(at), expected.yaml_text, report))

    click(at, "widget:use_fitted")
    assert at.success[0].value == EN["calibrate.in_use"].format(name=expected.scenario.name)
    chosen = at.session_state["state:base"]
    assert chosen.content_hash() == expected.scenario.content_hash()
    go(at, "scenario")
    assert any(
        EN["scenario.from_upload"].format(file="calibrated.yaml") in m.value for m in at.markdown
    )
    fitted_ds = expected.scenario.roles["ds"].fte
    assert at.number_input(key="lever:roles.ds.fte").value == pytest.approx(fitted_ds)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda frame: frame.drop(columns="priority"),
            "referrals.csv: row 1 (header): column 'priority' is missing",
        ),
        (
            lambda frame: frame.assign(received_at=["14/03/2026", *frame.received_at[1:]]),
            "referrals.csv: row 2, column received_at: not an ISO 8601 date (got '14/03/2026')",
        ),
    ],
    ids=["missing-column", "unparsable-date"],
)
def test_bad_extract_shows_plain_errors_naming_file_and_column(extract, change, message):
    referrals = change(pd.read_csv(io.BytesIO(extract["referrals"]), dtype=str))
    at = go(open_app(), "calibrate")
    upload(at, {**extract, "referrals": referrals.to_csv(index=False).encode("utf-8")})
    click(at, "widget:fit")
    assert len(at.error) == 1
    error = at.error[0].value
    assert error.startswith(EN["calibrate.extract_invalid"])
    assert plain(message) in error  # shown as written: escaped, never read as Markdown
    assert "Traceback" not in error and SECRET not in shown_text(at)
    assert [b.proto.label for b in at.get("download_button")] == [EN["calibrate.demo_button"]]


def test_the_page_reads_in_welsh(extract):
    at = open_app()
    at.session_state["lang"] = "cy"  # AppTest does not redraw the sidebar after switch_page
    go(at, "calibrate")
    assert at.title[0].value == CY["pages.calibrate.title"]
    assert at.info[0].value == CY["calibrate.need_files"]
    assert at.button(key="widget:fit").label == CY["calibrate.fit"]
    upload(at, extract)
    click(at, "widget:fit")
    assert not at.error
    assert any(m.value.startswith("Wedi'i ffitio i ") for m in at.markdown)
    assert CY["cols.source"] in at.dataframe[0].value.columns
    labels = {b.proto.label for b in at.get("download_button")}
    assert {CY["calibrate.yaml_button"], CY["calibrate.report_button"]} <= labels
    assert at.button(key="widget:use_fitted").label == CY["calibrate.use"]


def test_demo_extract_is_a_zip_of_a_valid_extract(downloads):
    at = go(open_app(), "calibrate")
    button = download(at, "download:demo_extract")
    assert button.proto.label == EN["calibrate.demo_button"]
    with zipfile.ZipFile(io.BytesIO(downloads(button))) as archive:
        assert sorted(archive.namelist()) == ["referrals.csv", "staffing.csv", "stage_events.csv"]
        files = {n: archive.read(n) for n in archive.namelist()}
    checked = read_extract(
        files["referrals.csv"], files["stage_events.csv"], files["staffing.csv"], AS_OF
    )
    assert AS_OF - dt.timedelta(days=731) <= checked.window_start < AS_OF - dt.timedelta(days=700)
    assert set(checked.sources) <= set(BASELINE.sources)


def test_the_report_follows_the_language(extract, downloads):
    """A Welsh visitor downloads the Welsh report (lang="cy", Welsh headings); switching
    back to English serves the English one without refitting."""
    from calibration.wording import catalogue as report_words

    at = open_app()
    at.session_state["lang"] = "cy"  # AppTest does not redraw the sidebar after switch_page
    go(at, "calibrate")
    upload(at, extract)
    at.date_input(key="widget:cal_as_of").set_value(AS_OF).run()
    click(at, "widget:fit")
    welsh = downloads(download(at, "download:calibration_report")).decode("utf-8")
    assert welsh.startswith("<!DOCTYPE html><html lang='cy'>")
    assert f"<h1>{report_words('cy')['title']}</h1>" in welsh
    assert report_words("en")["sections.arrivals"] not in welsh
    at.session_state["lang"] = "en"
    at.run()
    english = downloads(download(at, "download:calibration_report")).decode("utf-8")
    assert english.startswith("<!DOCTYPE html><html lang='en'>")
    assert report_words("en")["sections.arrivals"] in english
