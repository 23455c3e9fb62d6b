"""Streamlit's own English words (widget text, the hints in empty boxes, screen-reader
labels, the date picker's calendar) put into the chosen language in the browser.

Streamlit 1.67 has no setting for the language of its built-in widgets (the date picker's
calendar follows the browser's locale, its labels are fixed English; the file uploader,
select boxes, number steppers, table toolbar and sidebar say English whatever the page's
language). So a small script of ours (``streamlit_words.js``, run by
:func:`app.ui.page_setup` on every page) rewrites those words in the page itself, from the
tables built here, every time Streamlit draws something:

* whole strings (``EXACT``: "Browse files", "No results", "Previous month", ...);
* strings with a part that varies (``SLOTS``: "Help for {x}", "Remove {x}", "Limit {x}MB
  per file • {y}", "View {x} more", ...), each an English pattern and a catalogue entry;
* dates the calendar spells out ("Saturday, November 27, 2027 selected", "Choose date,
  November 2027", "November", "11 – November") and its row of weekday initials, from the
  catalogue's month and weekday names (never Babel: the browser's calendar is what shows).

The script remembers what it changed, so switching back to English restores Streamlit's
own words exactly. It holds only catalogue text and Streamlit's fixed English, never a
visitor's or a file's text. Every Welsh string is a catalogue entry (``streamlit.*``,
``a11y.*``, ``months.*``, ``weekdays.*``), so the catalogue tests check both languages.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from app.i18n import t

SCRIPT = Path(__file__).with_name("streamlit_words.js")
WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
"""Catalogue keys of the weekdays, Sunday first (as ``Date.getDay()`` counts)."""
ENGLISH_WEEKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
ENGLISH_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

APP_ERROR = (
    "This app has encountered an error. The original error message is redacted to prevent "
    "data leaks. Full error details have been recorded in the logs (if you're on Streamlit "
    "Cloud, click on 'Manage app' in the lower right of your app)."
)
"""Streamlit's message for an unexpected error (with ``showErrorDetails = "none"``)."""

EXACT: dict[str, str] = {
    # file uploader
    "Drag and drop file here": "a11y.uploader_drop",
    "Drag and drop files here": "streamlit.uploader_drop_many",
    "Drag and drop a file here": "a11y.uploader_drop",
    "Browse files": "a11y.uploader_browse",
    "Upload": "a11y.uploader_browse",
    "Add files": "streamlit.add_files",
    "file upload": "a11y.file_upload",
    # sidebar, headings, errors
    "Collapse sidebar": "a11y.collapse_sidebar",
    "Expand sidebar": "a11y.expand_sidebar",
    "Sidebar": "a11y.sidebar",
    "App pages": "a11y.app_pages",
    "View less": "streamlit.view_less",
    "Link to heading": "a11y.link_heading",
    "Skip to main content": "a11y.skip",
    "Main menu": "streamlit.main_menu",
    "Dismiss": "a11y.dismiss",
    "Close": "a11y.close",
    # select boxes and multiselects
    "Choose an option": "streamlit.choose_option",
    "Choose options": "streamlit.choose_options",
    "No options to select": "streamlit.no_options",
    "No options to select.": "streamlit.no_options",
    "No results": "streamlit.no_results",
    "Select all": "streamlit.select_all",
    "Clear all": "a11y.clear_all",
    "Clear value": "streamlit.clear_value",
    "Remove": "a11y.remove",
    "open": "a11y.open",
    "Open": "a11y.open",
    "Selected values": "a11y.selected_values",
    "Long press or press Alt + ArrowDown to open menu": "streamlit.long_press",
    # number and text inputs
    "Decrement": "a11y.decrement",
    "Increment": "a11y.increment",
    "Press Enter to apply": "streamlit.press_enter",
    "Press Enter to submit form": "streamlit.press_enter_form",
    "Press Ctrl+Enter to apply": "streamlit.press_ctrl_enter",
    "Press ⌘+Enter to apply": "streamlit.press_cmd_enter",
    "Clear entry": "streamlit.clear_value",
    # date input and its calendar
    "Choose date": "streamlit.choose_date",
    "Clear date": "streamlit.clear_date",
    "Previous month": "streamlit.previous_month",
    "Next month": "streamlit.next_month",
    "Previous": "streamlit.previous",
    "Next": "streamlit.next",
    "month": "streamlit.month",
    "year": "streamlit.year",
    "day": "streamlit.day",
    "Empty": "streamlit.empty",
    # the date box's hint when empty ("YYYY/MM/DD"), one part at a time
    "dd": "streamlit.date_hint_day",
    "mm": "streamlit.date_hint_month",
    "yyyy": "streamlit.date_hint_year",
    (
        "Use arrow keys to navigate dates. Enter to select. Escape to close."
    ): "streamlit.calendar_keys",
    "First available date": "streamlit.first_date",
    "Last available date": "streamlit.last_date",
    # status while a page runs
    "Running...": "streamlit.running",
    "Stop": "streamlit.stop",
    "Stopping...": "streamlit.stopping",
    "Connecting": "streamlit.connecting",
    "Please wait...": "streamlit.please_wait",
    # tables
    "Show/hide columns": "a11y.show_hide_columns",
    "Download as CSV": "a11y.grid_csv",
    "Search": "a11y.search",
    "Type to search": "streamlit.type_to_search",
    "Close Search": "streamlit.close_search",
    "Next Result": "streamlit.next_result",
    "Previous Result": "streamlit.previous_result",
    "Fullscreen": "a11y.fullscreen",
    "Close fullscreen": "streamlit.close_fullscreen",
    "Exit fullscreen": "streamlit.close_fullscreen",
    "Sort ascending": "streamlit.sort_ascending",
    "Sort descending": "streamlit.sort_descending",
    "Pin column": "streamlit.pin_column",
    "Unpin column": "streamlit.unpin_column",
    "Hide column": "streamlit.hide_column",
    "Autosize": "streamlit.autosize",
    "Format": "streamlit.format",
    "Copy column name": "streamlit.copy_column_name",
    "Dataframe column menu": "streamlit.column_menu",
    "Loading...": "streamlit.loading",
    "No data": "streamlit.no_data",
    # charts (Plotly's notices, drawn by the browser)
    "Double-click on legend to isolate one trace": "streamlit.legend_isolate",
    "Double-click to zoom back out": "streamlit.zoom_back",
    "Preparing image - this may take a few seconds": "streamlit.preparing_image",
    "Taking snapshot - this may take a few seconds": "streamlit.preparing_image",
    "Image download succeeded": "streamlit.image_done",
    "Snapshot succeeded": "streamlit.image_done",
    "Sorry, there was a problem downloading your image!": "streamlit.image_failed",
    "Sorry, there was a problem downloading your snapshot!": "streamlit.image_failed",
}
"""Streamlit's (and Plotly's) whole English strings and the catalogue entry of each."""

SLOTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (r"^Help for (.+)$", "a11y.help_for", ("label",)),
    (r"^Remove (.+)$", "a11y.remove_item", ("item",)),
    (r"^day, (.+)$", "a11y.date_day", ("label",)),
    (r"^month, (.+)$", "a11y.date_month", ("label",)),
    (r"^year, (.+)$", "a11y.date_year", ("label",)),
    (r"^(?:Limit )?(\d+) ?MB per file • (.+)$", "streamlit.uploader_limit_types", ("mb", "types")),
    (r"^(?:Limit )?(\d+) ?MB per file$", "streamlit.uploader_limit", ("mb",)),
    (r"^View (\d+) more$", "streamlit.view_more", ("n",)),
    (r"^Made with Streamlit v(.+)$", "streamlit.made_with", ("version",)),
    (r"^Today, (.+)$", "streamlit.today", ("date",)),
    (r"^(.+?),? selected$", "streamlit.selected", ("date",)),
    (r"^Selected Date: (.+)$", "streamlit.selected_date", ("date",)),
    (r"^Choose date, (.+)$", "streamlit.choose_date_in", ("month",)),
)
"""Strings with a varying part: (English pattern, catalogue entry, the entry's fields in
the pattern's group order). The varying part is itself put through the same tables (a
date inside "Today, …", for instance)."""


PLOTLY = (
    "Double-click on legend to isolate one trace",
    "Double-click to zoom back out",
    "Preparing image - this may take a few seconds",
    "Taking snapshot - this may take a few seconds",
    "Image download succeeded",
    "Snapshot succeeded",
    "Sorry, there was a problem downloading your image!",
    "Sorry, there was a problem downloading your snapshot!",
)
"""Plotly's own notices, also given to Plotly's ``locales`` setting (its dictionary)."""


def plotly_words(lang: str) -> dict[str, str]:
    """Plotly's notices in ``lang``, for ``config={"locales": {lang: {"dictionary": ...}}}``."""
    return {en: t(EXACT[en], lang=lang) for en in PLOTLY}


def _template(key: str, fields: tuple[str, ...], lang: str) -> str:
    """A catalogue entry with its fields as ``{1}``, ``{2}`` (the pattern's groups)."""
    return t(key, lang=lang, **{name: f"{{{i + 1}}}" for i, name in enumerate(fields)})


def config(lang: str) -> dict:
    """What the script needs on a page in ``lang``: in English nothing but the language
    (it puts back anything it changed); in Welsh every table above."""
    if lang == "en":
        # Streamlit's error message speaks of "Streamlit Cloud": ours instead, in English too.
        return {"lang": lang, "exact": {APP_ERROR: t("a11y.app_error", lang=lang)}}
    months = {en: t(f"months.m{i + 1}", lang=lang) for i, en in enumerate(ENGLISH_MONTHS)}
    pairs = zip(ENGLISH_WEEKDAYS, WEEKDAYS, strict=True)
    weekdays = {en: t(f"weekdays.{key}", lang=lang) for en, key in pairs}
    exact = {en: t(key, lang=lang) for en, key in EXACT.items()}
    exact.update(months)
    exact[APP_ERROR] = t("a11y.app_error", lang=lang)
    return {
        "lang": lang,
        "exact": exact,
        "slots": [[pattern, _template(key, fields, lang)] for pattern, key, fields in SLOTS],
        "months": months,
        "weekdays": weekdays,
        "initials": [t(f"weekdays.{key}_initial", lang=lang) for key in WEEKDAYS],
        "date": t(
            "streamlit.calendar_date", lang=lang, weekday="{w}", day="{d}", month="{m}", year="{y}"
        ),
        "day": t("streamlit.calendar_day", lang=lang, day="{d}", month="{m}", year="{y}"),
        "month_year": t("streamlit.month_year", lang=lang, month="{m}", year="{y}"),
        "month_value": t("streamlit.month_value", lang=lang, n="{n}", month="{m}"),
    }


@cache
def _script_source() -> str:
    return SCRIPT.read_text(encoding="utf-8")


def script(lang: str) -> str:
    """The ``<script>`` for a page in ``lang`` (its tables as JSON, then the code)."""
    tables = json.dumps(config(lang), ensure_ascii=False)
    return f"<script>\nwindow.__acuWords = {tables};\n{_script_source()}</script>"
