"""Reading and checking a case-management extract (the format in docs/case-extract.md).

A force's extract is the one input calibration cannot validate with pydantic: it is
CSV exported from a case system, often by hand, and it may hold personal data in
columns we never asked for. So this module:

* reads only the documented columns; any other column (a subject's name, say) is
  never stored, so it cannot reach a scenario, a report or an error message;
* checks every row and reports every problem as ``file: row N, column C: what is
  wrong`` (rows counted as a spreadsheet shows them, the header being row 1), all of
  them up to a limit, before anything is fitted;
* never drops a row silently: a bad row is an error unless the caller asked to skip
  bad rows, and then the number skipped (and why) is kept for the report;
* never lets junk escape as a traceback: whatever the bytes, the result is an
  :class:`Extract` or an :class:`ExtractError`.

Times are held as float days since the *window start* (midnight of the earliest
``received_at``), which is how every fit and the simulation clock count time.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import math
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from calibration.wording import Message
from model.problems import Problems
from model.scenario import CATEGORIES, PRIORITIES

REFERRAL_COLUMNS = ("referral_id", "received_at", "source", "category", "apsp", "priority")
EVENT_COLUMNS = ("referral_id", "stage", "queued_at", "started_at", "finished_at", "outcome")
STAFFING_COLUMNS = ("role", "from_date", "fte")

DEFAULT_MAX_PROBLEMS = 50
"""Problems listed before the rest are only counted: enough to fix a file in one pass,
few enough to read."""

MAX_WINDOW_YEARS = 30.0
"""A scenario covers at most 30 years (model.scenario: horizon_years <= 30), so an
extract spanning more cannot be replayed; it almost always means a mistyped year."""

MAX_FTE = 500.0
"""The scenario schema's bound on a role's FTE (model.scenario.Role.fte)."""

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
NAME_MAX = 64
_TIMESTAMP = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?$"
)
_SHOWN_VALUE = 40
"""Characters of a bad value quoted back in a message."""

ExtractSource = str | os.PathLike | bytes | IO[bytes] | IO[str] | pd.DataFrame


class ExtractError(Problems):
    """An extract that cannot be used; ``lines`` holds one message per problem."""


@dataclass
class Problems:
    """Problems found, the first ``limit`` kept word for word and the rest counted."""

    limit: int = DEFAULT_MAX_PROBLEMS
    lines: list[str] = field(default_factory=list)
    count: int = 0

    def add(self, line: Message) -> None:
        self.count += 1
        if len(self.lines) < self.limit:
            self.lines.append(line)

    def listing(self) -> list[str]:
        extra = self.count - len(self.lines)
        tail = [Message("extract.more", n=extra, limit=self.limit)]
        return self.lines + (tail if extra > 0 else [])


@dataclass(frozen=True)
class Timestamp:
    """A parsed ISO 8601 time and whether it carried a time of day (its resolution)."""

    value: dt.datetime
    has_time: bool


def shown(value: str) -> str:
    """A bad value quoted back safely: control characters escaped, long values cut."""
    text = value if len(value) <= _SHOWN_VALUE else value[:_SHOWN_VALUE] + "..."
    return repr(text)


def parse_timestamp(text: str) -> Timestamp | Message:
    """An ISO 8601 date or date-time, or the reason it is not one."""
    match = _TIMESTAMP.match(text)
    if match is None:
        if re.search(r"(Z|[+-]\d{2}:?\d{2})$", text) and "T" in text:
            return Message("extract.time_zone", value=shown(text))
        return Message("extract.not_iso", value=shown(text))
    year, month, day, hour, minute, second, fraction = match.groups()
    try:
        value = dt.datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((fraction or "0").ljust(6, "0")),
        )
    except ValueError as exc:
        return Message("extract.not_real_date", value=shown(text), reason=exc)
    return Timestamp(value, hour is not None)


def check_name(text: str) -> Message | None:
    """Why ``text`` cannot be a scenario name (source, stage, outcome, role), or None."""
    if not text:
        return Message("extract.empty")
    if len(text) > NAME_MAX or not NAME_PATTERN.match(text):
        return Message("extract.bad_name", value=shown(text), max=NAME_MAX)
    return None


def _choice_problem(text: str, allowed: Iterable[str], what: str) -> Message:
    allowed = list(allowed)
    lowered = text.lower().replace(" ", "_").replace("-", "_")
    close = [a for a in allowed if lowered and lowered in a] or difflib.get_close_matches(
        lowered, allowed, n=1
    )
    hint = (
        Message("extract.did_you_mean", name=close[0])
        if close
        else Message("extract.one_of", names=", ".join(allowed))
    )
    return Message(f"extract.unknown_{what}", value=shown(text), hint=hint)


# --------------------------------------------------------------------------- raw tables


@dataclass
class _Table:
    """The documented columns of one CSV file, as (row number, values) pairs."""

    name: str
    rows: list[tuple[int, dict[str, str]]]


def _display_name(source: ExtractSource, default: str) -> str:
    if isinstance(source, str | os.PathLike):
        return Path(source).name
    name = getattr(source, "name", None)
    return Path(name).name if isinstance(name, str) and name else default


def _read_text(source: ExtractSource, name: str, fatal: Problems) -> str | None:
    """The file's text (UTF-8, BOM allowed), or None after recording why not."""
    try:
        if isinstance(source, str | os.PathLike):
            data: bytes | str = Path(source).read_bytes()
        elif isinstance(source, bytes):
            data = source
        else:
            data = source.read()
    except FileNotFoundError:
        fatal.add(Message("extract.not_found", file=name))
        return None
    except (OSError, ValueError) as exc:
        fatal.add(Message("extract.unreadable", file=name, reason=exc))
        return None
    if isinstance(data, str):
        return data
    if not isinstance(data, bytes):
        fatal.add(Message("extract.not_text", file=name))
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = data.count(b"\n", 0, exc.start) + 1
        fatal.add(Message("extract.not_utf8", file=name, row=row, byte=exc.start))
        return None


def _frame_rows(frame: pd.DataFrame) -> list[list[str]]:
    """A DataFrame as the text a CSV would hold, header first (for in-memory callers)."""

    def text(value: Any) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return ""
        if value is pd.NaT:
            return ""
        if isinstance(value, bool | np.bool_):
            return "true" if value else "false"
        if isinstance(value, pd.Timestamp | dt.datetime | dt.date):
            return value.isoformat()
        return str(value)

    rows = [[str(c) for c in frame.columns]]
    rows.extend([text(v) for v in record] for record in frame.itertuples(index=False))
    return rows


def _read_table(
    source: ExtractSource, default_name: str, required: tuple[str, ...], fatal: Problems
) -> _Table | None:
    """Read one CSV, keeping only ``required`` columns; header problems are fatal."""
    name = _display_name(source, default_name)
    if isinstance(source, pd.DataFrame):
        raw = _frame_rows(source)
    else:
        text = _read_text(source, name, fatal)
        if text is None:
            return None
        reader = csv.reader(io.StringIO(text, newline=""))
        raw = []
        try:
            raw.extend(reader)
        except csv.Error as exc:
            fatal.add(Message("extract.not_csv", file=name, row=reader.line_num, reason=exc))
            return None
    if not raw or not any(cell.strip() for cell in raw[0]):
        fatal.add(Message("extract.no_header", file=name, columns=", ".join(required)))
        return None
    header = [cell.strip().lower() for cell in raw[0]]
    index: dict[str, int] = {}
    ok = True
    for column in required:
        positions = [i for i, h in enumerate(header) if h == column]
        if not positions:
            # Other columns' names are not echoed (they are none of our business); only a
            # near miss of the wanted name is, as a hint.
            others = [h for h in header if h not in required]
            close = difflib.get_close_matches(column, others, n=1, cutoff=0.6)
            if close:
                fatal.add(
                    Message(
                        "extract.missing_column_near",
                        file=name,
                        column=column,
                        near=shown(close[0]),
                    )
                )
            else:
                fatal.add(Message("extract.missing_column", file=name, column=column))
            ok = False
        elif len(positions) > 1:
            fatal.add(Message("extract.column_twice", file=name, column=column, n=len(positions)))
            ok = False
        else:
            index[column] = positions[0]
    if not ok:
        return None
    width = len(header)
    rows: list[tuple[int, dict[str, str]]] = []
    for number, cells in enumerate(raw[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue  # a blank line holds no data
        if len(cells) < width or any(cell.strip() for cell in cells[width:]):
            rows.append((number, {"__width__": str(len(cells)), "__header__": str(width)}))
            continue
        rows.append((number, {c: cells[i].strip() for c, i in index.items()}))
    return _Table(name, rows)


# --------------------------------------------------------------------------- the extract


@dataclass
class Extract:
    """A checked extract: times in days since ``window_start``; other columns never kept."""

    referrals: pd.DataFrame
    """referral_id, received (days), source, category, apsp, priority, row."""
    events: pd.DataFrame
    """referral_id, stage, queued, started, finished (days; NaN if empty), outcome ('' if
    unfinished), *_exact (False when the time was a bare date), row."""
    staffing: pd.DataFrame | None
    """role, from_date (date), from_day (days), fte."""
    window_start: dt.date
    as_of: dt.datetime
    files: dict[str, str]
    """Display name of each file: 'referrals', 'events', 'staffing'."""
    skipped: dict[str, int] = field(default_factory=dict)
    skipped_problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def window_days(self) -> float:
        """Days from the window start to the as-of time (the observation period)."""
        start = dt.datetime.combine(self.window_start, dt.time())
        return (self.as_of - start).total_seconds() / 86400.0

    def to_datetime(self, days: float) -> dt.datetime:
        return dt.datetime.combine(self.window_start, dt.time()) + dt.timedelta(days=days)

    @property
    def stages(self) -> list[str]:
        """Stage names in order of first appearance in the extract."""
        return list(dict.fromkeys(self.events.sort_values("queued")["stage"]))

    @property
    def sources(self) -> list[str]:
        return list(dict.fromkeys(self.referrals.sort_values("received")["source"]))

    def resampled(self, weights: np.ndarray) -> Extract:
        """A bootstrap copy: referral ``i`` (with all its events) appears ``weights[i]`` times."""
        weights = np.asarray(weights, dtype=int)
        refs = self.referrals.loc[self.referrals.index.repeat(weights)].copy()
        copy_no = refs.groupby(level=0).cumcount().to_numpy()
        old_ids = refs["referral_id"].to_numpy()
        refs["referral_id"] = [f"{i}#{c}" for i, c in zip(old_ids, copy_no, strict=True)]
        refs = refs.reset_index(drop=True)
        pairs = pd.DataFrame({"old": old_ids, "referral_id": refs["referral_id"]})
        events = self.events.rename(columns={"referral_id": "old"}).merge(pairs, on="old")
        events = events.drop(columns="old").reset_index(drop=True)
        return Extract(
            referrals=refs,
            events=events,
            staffing=self.staffing,
            window_start=self.window_start,
            as_of=self.as_of,
            files=self.files,
        )


@dataclass
class _Checked:
    """One table's good rows and the row numbers found bad."""

    good: list[dict[str, Any]]
    bad_rows: int


class _Reader:
    """Row checks for the three files, sharing the problem list and the referral index."""

    def __init__(self, problems: Problems, as_of: Timestamp | None) -> None:
        self.problems = problems
        self.as_of = as_of

    def report(self, table: str, row: int, column: str | None, message: Message) -> None:
        if column:
            line = Message("extract.at_cell", file=table, row=row, column=column, problem=message)
        else:
            line = Message("extract.at_row", file=table, row=row, problem=message)
        self.problems.add(line)

    def width_problem(self, table: _Table, row: int, values: dict[str, str]) -> bool:
        if "__width__" in values:
            self.report(
                table.name,
                row,
                None,
                Message("extract.width", n=values["__width__"], header=values["__header__"]),
            )
            return True
        return False

    def timestamp(
        self, table: str, row: int, column: str, text: str, required: bool
    ) -> Timestamp | bool | None:
        """The parsed time, None if empty and allowed, or False after reporting a problem."""
        if not text:
            if required:
                self.report(table, row, column, Message("extract.date_required"))
                return False
            return None
        parsed = parse_timestamp(text)
        if isinstance(parsed, str):
            self.report(table, row, column, parsed)
            return False
        if self.as_of is not None and parsed.value > self.as_of.value:
            self.report(
                table,
                row,
                column,
                Message("extract.after_as_of", value=text, as_of=self.as_of.value.isoformat()),
            )
            return False
        return parsed

    # ------------------------------------------------------------ referrals
    def referrals(self, table: _Table) -> tuple[_Checked, dict[str, int]]:
        good: list[dict[str, Any]] = []
        first_row: dict[str, int] = {}
        bad = 0
        for row, values in table.rows:
            if self.width_problem(table, row, values):
                bad += 1
                continue
            before = self.problems.count
            rid = values["referral_id"]
            if not rid:
                self.report(table.name, row, "referral_id", Message("extract.empty"))
            elif rid in first_row:
                self.report(
                    table.name,
                    row,
                    "referral_id",
                    Message("extract.duplicate_id", value=shown(rid), first=first_row[rid]),
                )
            else:
                first_row[rid] = row
            received = self.timestamp(table.name, row, "received_at", values["received_at"], True)
            source = values["source"]
            problem = check_name(source)
            if problem:
                self.report(table.name, row, "source", problem)
            category = values["category"]
            if category not in CATEGORIES:
                problem = (
                    Message("extract.empty")
                    if not category
                    else _choice_problem(category, CATEGORIES, "category")
                )
                self.report(table.name, row, "category", problem)
            apsp_text = values["apsp"].lower()
            if apsp_text not in ("true", "false"):
                self.report(
                    table.name,
                    row,
                    "apsp",
                    Message("extract.true_false", value=shown(values["apsp"])),
                )
            priority = values["priority"].lower()
            if priority not in PRIORITIES:
                problem = (
                    Message("extract.empty")
                    if not priority
                    else _choice_problem(priority, PRIORITIES, "priority")
                )
                self.report(table.name, row, "priority", problem)
            if self.problems.count > before:
                bad += 1
                continue
            assert isinstance(received, Timestamp)
            good.append(
                {
                    "referral_id": rid,
                    "received_at": received.value,
                    "received_exact": received.has_time,
                    "source": source,
                    "category": category,
                    "apsp": apsp_text == "true",
                    "priority": priority,
                    "row": row,
                }
            )
        return _Checked(good, bad), first_row

    # ------------------------------------------------------------ stage events
    def events(
        self,
        table: _Table,
        referral_rows: dict[str, int],
        good_referrals: dict[str, dict[str, Any]],
        referral_file: str,
    ) -> tuple[_Checked, int]:
        good: list[dict[str, Any]] = []
        bad = 0
        orphaned = 0
        for row, values in table.rows:
            if self.width_problem(table, row, values):
                bad += 1
                continue
            before = self.problems.count
            rid = values["referral_id"]
            referral = good_referrals.get(rid)
            if not rid:
                self.report(table.name, row, "referral_id", Message("extract.empty"))
            elif rid not in referral_rows:
                self.report(
                    table.name,
                    row,
                    "referral_id",
                    Message("extract.unknown_referral", value=shown(rid), file=referral_file),
                )
            stage = values["stage"]
            problem = check_name(stage)
            if problem:
                self.report(table.name, row, "stage", problem)
            queued = self.timestamp(table.name, row, "queued_at", values["queued_at"], True)
            started = self.timestamp(table.name, row, "started_at", values["started_at"], False)
            finished = self.timestamp(table.name, row, "finished_at", values["finished_at"], False)
            outcome = values["outcome"]
            self._event_order(table.name, row, referral, queued, started, finished, referral_file)
            if outcome:
                problem = check_name(outcome)
                if problem:
                    self.report(table.name, row, "outcome", problem)
                elif finished is None:
                    self.report(
                        table.name,
                        row,
                        "outcome",
                        Message("extract.outcome_unfinished"),
                    )
            elif isinstance(finished, Timestamp):
                self.report(
                    table.name,
                    row,
                    "outcome",
                    Message("extract.outcome_missing"),
                )
            if self.problems.count > before:
                bad += 1
                continue
            if referral is None:
                orphaned += 1  # its referral row was bad (reported there) and skipped
                continue
            good.append(
                {
                    "referral_id": rid,
                    "stage": stage,
                    "queued_at": queued.value,  # type: ignore[union-attr]
                    "started_at": started.value if isinstance(started, Timestamp) else None,
                    "finished_at": finished.value if isinstance(finished, Timestamp) else None,
                    "outcome": outcome,
                    "queued_exact": queued.has_time,  # type: ignore[union-attr]
                    "started_exact": isinstance(started, Timestamp) and started.has_time,
                    "finished_exact": isinstance(finished, Timestamp) and finished.has_time,
                    "row": row,
                }
            )
        return _Checked(good, bad), orphaned

    def _event_order(
        self,
        name: str,
        row: int,
        referral: dict[str, Any] | None,
        queued: Any,
        started: Any,
        finished: Any,
        referral_file: str,
    ) -> None:
        if isinstance(finished, Timestamp) and started is None:
            self.report(name, row, "finished_at", Message("extract.finished_not_started"))
        if (
            isinstance(queued, Timestamp)
            and isinstance(started, Timestamp)
            and _before(started, queued)
        ):
            self.report(
                name,
                row,
                "started_at",
                Message("extract.before_queued", time=queued.value.isoformat()),
            )
        if (
            isinstance(started, Timestamp)
            and isinstance(finished, Timestamp)
            and _before(finished, started)
        ):
            self.report(
                name,
                row,
                "finished_at",
                Message("extract.before_started", time=started.value.isoformat()),
            )
        if referral is not None and isinstance(queued, Timestamp):
            received = Timestamp(referral["received_at"], referral["received_exact"])
            if _before(queued, received):
                self.report(
                    name,
                    row,
                    "queued_at",
                    Message(
                        "extract.before_received",
                        time=received.value.isoformat(),
                        file=referral_file,
                        row=referral["row"],
                    ),
                )

    # ------------------------------------------------------------ staffing
    def staffing(self, table: _Table) -> _Checked:
        good: list[dict[str, Any]] = []
        seen: dict[tuple[str, dt.date], int] = {}
        bad = 0
        for row, values in table.rows:
            if self.width_problem(table, row, values):
                bad += 1
                continue
            before = self.problems.count
            role = values["role"]
            problem = check_name(role)
            if problem:
                self.report(table.name, row, "role", problem)
            parsed = (
                parse_timestamp(values["from_date"])
                if values["from_date"]
                else Message("extract.empty")
            )
            if isinstance(parsed, Message):
                self.report(table.name, row, "from_date", parsed)
            fte = _number(values["fte"])
            if fte is None or not (0 <= fte <= MAX_FTE):
                self.report(
                    table.name,
                    row,
                    "fte",
                    Message("extract.bad_fte", max=f"{MAX_FTE:g}", value=shown(values["fte"])),
                )
            if isinstance(parsed, Timestamp) and not problem:
                key = (role, parsed.value.date())
                if key in seen:
                    self.report(
                        table.name,
                        row,
                        "from_date",
                        Message("extract.role_twice", role=role, date=key[1], row=seen[key]),
                    )
                else:
                    seen[key] = row
            if self.problems.count > before:
                bad += 1
                continue
            assert isinstance(parsed, Timestamp) and fte is not None
            good.append({"role": role, "from_date": parsed.value.date(), "fte": fte, "row": row})
        return _Checked(good, bad)


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _before(later: Timestamp, earlier: Timestamp) -> bool:
    """Whether ``later`` is really before ``earlier``; a bare date is the whole day."""
    if later.has_time and earlier.has_time:
        return later.value < earlier.value
    return later.value.date() < earlier.value.date()


def _as_of(text: str | dt.date | dt.datetime | None) -> Timestamp | None:
    if text is None:
        return None
    if isinstance(text, dt.datetime):
        return Timestamp(text, True)
    if isinstance(text, dt.date):
        return Timestamp(dt.datetime.combine(text, dt.time()), False)
    parsed = parse_timestamp(str(text).strip())
    if isinstance(parsed, Message):
        raise ExtractError([Message("extract.as_of", problem=parsed)])
    return parsed


def read_extract(
    referrals: ExtractSource,
    events: ExtractSource,
    staffing: ExtractSource | None = None,
    as_of: str | dt.date | dt.datetime | None = None,
    *,
    skip_bad_rows: bool = False,
    max_problems: int = DEFAULT_MAX_PROBLEMS,
) -> Extract:
    """Read and check an extract; raise :class:`ExtractError` listing every problem.

    ``as_of`` (a date means midnight at its start) is when the extract was taken:
    every timestamp must be on or before it, and whatever is unfinished is censored
    there. By default it is the latest timestamp in the referrals and events."""
    if max_problems < 1:
        raise ExtractError([Message("extract.max_problems")])
    fatal = Problems(max_problems)
    as_of_stamp = _as_of(as_of)
    ref_table = _read_table(referrals, "referrals.csv", REFERRAL_COLUMNS, fatal)
    ev_table = _read_table(events, "stage_events.csv", EVENT_COLUMNS, fatal)
    st_table = (
        None if staffing is None else _read_table(staffing, "staffing.csv", STAFFING_COLUMNS, fatal)
    )
    if fatal.count:
        raise ExtractError(fatal.listing())
    assert ref_table is not None and ev_table is not None

    problems = Problems(max_problems)
    reader = _Reader(problems, as_of_stamp)
    checked_refs, referral_rows = reader.referrals(ref_table)
    by_id = {r["referral_id"]: r for r in checked_refs.good}
    checked_events, orphaned = reader.events(ev_table, referral_rows, by_id, ref_table.name)
    checked_staff = None if st_table is None else reader.staffing(st_table)

    if problems.count and not skip_bad_rows:
        raise ExtractError(
            [
                *problems.listing(),
                Message("extract.found", n=problems.count),
            ]
        )
    if not checked_refs.good:
        raise ExtractError([Message("extract.no_referrals", file=ref_table.name)])

    skipped = {
        ref_table.name: checked_refs.bad_rows,
        ev_table.name: checked_events.bad_rows + orphaned,
    }
    if st_table is not None and checked_staff is not None:
        skipped[st_table.name] = checked_staff.bad_rows
    skipped = {k: v for k, v in skipped.items() if v}
    skipped_problems = problems.listing() if problems.count else []
    if orphaned:
        skipped_problems.append(Message("extract.orphaned", file=ev_table.name, n=orphaned))
    return _assemble(
        checked_refs.good,
        checked_events.good,
        None if checked_staff is None else checked_staff.good,
        as_of_stamp,
        {
            "referrals": ref_table.name,
            "events": ev_table.name,
            "staffing": st_table.name if st_table else "",
        },
        skipped,
        skipped_problems,
    )


def _assemble(
    referrals: list[dict[str, Any]],
    events: list[dict[str, Any]],
    staffing: list[dict[str, Any]] | None,
    as_of: Timestamp | None,
    files: dict[str, str],
    skipped: dict[str, int],
    skipped_problems: list[str],
) -> Extract:
    """Turn checked rows into day-based frames; whole-extract checks (the window)."""
    received = [r["received_at"] for r in referrals]
    stamps = received + [e["queued_at"] for e in events]
    stamps += [e[c] for e in events for c in ("started_at", "finished_at") if e[c] is not None]
    latest = max(stamps)
    as_of_value = as_of.value if as_of is not None else latest
    window_start = min(received).date()
    origin = dt.datetime.combine(window_start, dt.time())
    span_years = (as_of_value - origin).total_seconds() / 86400.0 / 365.0
    if span_years > MAX_WINDOW_YEARS:
        earliest = min(referrals, key=lambda r: r["received_at"])
        raise ExtractError(
            [
                Message(
                    "extract.too_long",
                    file=files["referrals"],
                    years=f"{span_years:.0f}",
                    start=window_start,
                    end=as_of_value.date(),
                    max=f"{MAX_WINDOW_YEARS:g}",
                    row=earliest["row"],
                )
            ]
        )
    if as_of_value <= origin:
        raise ExtractError([Message("extract.as_of_early", value=as_of_value.isoformat())])

    def days(value: dt.datetime | None) -> float:
        return math.nan if value is None else (value - origin).total_seconds() / 86400.0

    ref_frame = pd.DataFrame(
        {
            "referral_id": pd.Series([r["referral_id"] for r in referrals], dtype=object),
            "received": np.array([days(r["received_at"]) for r in referrals], dtype=float),
            "source": pd.Series([r["source"] for r in referrals], dtype=object),
            "category": pd.Series([r["category"] for r in referrals], dtype=object),
            "apsp": np.array([r["apsp"] for r in referrals], dtype=bool),
            "priority": pd.Series([r["priority"] for r in referrals], dtype=object),
            "row": np.array([r["row"] for r in referrals], dtype=int),
        }
    )
    ev_frame = pd.DataFrame(
        {
            "referral_id": pd.Series([e["referral_id"] for e in events], dtype=object),
            "stage": pd.Series([e["stage"] for e in events], dtype=object),
            "queued": np.array([days(e["queued_at"]) for e in events], dtype=float),
            "started": np.array([days(e["started_at"]) for e in events], dtype=float),
            "finished": np.array([days(e["finished_at"]) for e in events], dtype=float),
            "outcome": pd.Series([e["outcome"] for e in events], dtype=object),
            "queued_exact": np.array([e["queued_exact"] for e in events], dtype=bool),
            "started_exact": np.array([e["started_exact"] for e in events], dtype=bool),
            "finished_exact": np.array([e["finished_exact"] for e in events], dtype=bool),
            "row": np.array([e["row"] for e in events], dtype=int),
        }
    )
    staff_frame = None
    if staffing is not None:
        staff_frame = pd.DataFrame(
            {
                "role": pd.Series([s["role"] for s in staffing], dtype=object),
                "from_date": pd.Series([s["from_date"] for s in staffing], dtype=object),
                "from_day": np.array(
                    [days(dt.datetime.combine(s["from_date"], dt.time())) for s in staffing],
                    dtype=float,
                ),
                "fte": np.array([s["fte"] for s in staffing], dtype=float),
            }
        ).sort_values(["role", "from_day"], ignore_index=True)
    extract = Extract(
        referrals=ref_frame,
        events=ev_frame,
        staffing=staff_frame,
        window_start=window_start,
        as_of=as_of_value,
        files=files,
        skipped=skipped,
        skipped_problems=skipped_problems,
    )
    extract.warnings.extend(_consistency_warnings(extract))
    return extract


def _consistency_warnings(extract: Extract) -> list[str]:
    """Things that are not errors but that a reader of the report should know."""
    warnings = []
    refs, events = extract.referrals, extract.events
    without = refs.loc[~refs["referral_id"].isin(set(events["referral_id"]))]
    if len(without):
        rows = ", ".join(str(r) for r in without["row"].head(5))
        warnings.append(
            Message("extract.no_events", file=extract.files["referrals"], n=len(without), rows=rows)
        )
    stages = set(events["stage"])
    moves = events.loc[events["outcome"].isin(stages)]
    missing = 0
    if len(moves):
        visited = set(zip(events["referral_id"], events["stage"], strict=True))
        missing = sum(
            (rid, dest) not in visited
            for rid, dest in zip(moves["referral_id"], moves["outcome"], strict=True)
        )
    if missing:
        warnings.append(Message("extract.next_missing", file=extract.files["events"], n=missing))
    return warnings
