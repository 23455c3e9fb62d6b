"""The unit's shape as the extract shows it: stages, entry stages, outcomes, open work.

Everything here is counting, not fitting: which stage each source's referrals enter,
which outcome names close a case, which visits were open at the as-of time (the
scenario's initial backlog) and the duration samples (with their censoring) that
``durations`` fits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from calibration.durations import Durations
from calibration.extract import Extract

MINUTE_DAYS = 1.0 / 1440.0
"""Resolution of a duration between two timestamps that both carry a time of day."""
DAY = 1.0
"""Resolution of a duration with a bare date at either end."""


def visits(extract: Extract) -> pd.DataFrame:
    """Stage events with their referral's source and attributes."""
    refs = extract.referrals[["referral_id", "source", "category", "apsp", "priority", "received"]]
    return extract.events.merge(refs, on="referral_id", how="inner")


@dataclass
class EntryStage:
    source: str
    stage: str
    share: float
    n: int


def entry_stages(extract: Extract, all_visits: pd.DataFrame) -> dict[str, EntryStage]:
    """The stage most of each source's referrals enter first (the scenario allows one)."""
    first = all_visits.sort_values(["referral_id", "queued", "row"]).drop_duplicates("referral_id")
    result = {}
    for source, group in first.groupby("source", sort=False):
        counts = group["stage"].value_counts()
        result[str(source)] = EntryStage(
            str(source), str(counts.index[0]), float(counts.iloc[0] / len(group)), len(group)
        )
    return result


def outcomes(extract: Extract) -> list[str]:
    """Closure outcomes: outcome names that are not stages, most frequent first."""
    stages = set(extract.events["stage"])
    named = extract.events.loc[extract.events["outcome"] != "", "outcome"]
    closing = named.loc[~named.isin(stages)]
    return [str(o) for o in closing.value_counts().index]


def _resolution(first_exact: np.ndarray, second_exact: np.ndarray) -> np.ndarray:
    return np.where(first_exact & second_exact, MINUTE_DAYS, DAY)


def wait_durations(stage_visits: pd.DataFrame, window_days: float) -> Durations:
    """Queued to started; a visit still waiting is censored at the as-of time."""
    started = stage_visits["started"].to_numpy()
    queued = stage_visits["queued"].to_numpy()
    done = np.isfinite(started)
    values = np.where(done, started, window_days) - queued
    return Durations(
        np.maximum(values, 0.0),
        done,
        _resolution(
            stage_visits["queued_exact"].to_numpy(), stage_visits["started_exact"].to_numpy()
        ),
    )


def service_durations(stage_visits: pd.DataFrame, window_days: float) -> Durations:
    """Started to finished, for started visits; one still in progress is censored."""
    started_rows = stage_visits.loc[np.isfinite(stage_visits["started"])]
    started = started_rows["started"].to_numpy()
    finished = started_rows["finished"].to_numpy()
    done = np.isfinite(finished)
    values = np.where(done, finished, window_days) - started
    return Durations(
        np.maximum(values, 0.0),
        done,
        _resolution(
            started_rows["started_exact"].to_numpy(), started_rows["finished_exact"].to_numpy()
        ),
    )


def sojourn_durations(stage_visits: pd.DataFrame, window_days: float) -> Durations:
    """Queued to finished (a stage with no staff: the whole stay is elapsed time)."""
    queued = stage_visits["queued"].to_numpy()
    finished = stage_visits["finished"].to_numpy()
    done = np.isfinite(finished)
    values = np.where(done, finished, window_days) - queued
    return Durations(
        np.maximum(values, 0.0),
        done,
        _resolution(
            stage_visits["queued_exact"].to_numpy(), stage_visits["finished_exact"].to_numpy()
        ),
    )


@dataclass
class BacklogGroup:
    """Visits open at the as-of time in one stage, from one source."""

    stage: str
    source: str
    waiting: int
    in_progress: int
    ages: np.ndarray
    """Days from each case's referral to the as-of time."""
    in_service: np.ndarray
    """Days each in-progress visit has been in service (since started) at the as-of time:
    the scenario's ``in_service_days``, so open cases resume rather than restart."""
    cases: pd.DataFrame
    """One row per open visit: ``category``, ``apsp``, ``priority``, ``age`` (days since
    referral), ``in_service`` (days since started; NaN while waiting). The writer splits
    the group by attributes, since the cases open at a date are not a sample of the mix."""


def open_work(all_visits: pd.DataFrame, window_days: float) -> list[BacklogGroup]:
    """The scenario's initial backlog: visits unfinished at the as-of time."""
    still_open = all_visits.loc[~np.isfinite(all_visits["finished"])]
    groups = []
    for (stage, source), group in still_open.groupby(["stage", "source"], sort=True):
        started = np.isfinite(group["started"].to_numpy())
        groups.append(
            BacklogGroup(
                stage=str(stage),
                source=str(source),
                waiting=int((~started).sum()),
                in_progress=int(started.sum()),
                ages=window_days - group["received"].to_numpy(),
                in_service=np.maximum(window_days - group["started"].to_numpy()[started], 0.0),
                cases=pd.DataFrame(
                    {
                        "category": group["category"].to_numpy(),
                        "apsp": group["apsp"].to_numpy(dtype=bool),
                        "priority": group["priority"].to_numpy(),
                        "age": window_days - group["received"].to_numpy(),
                        "in_service": np.where(
                            started,
                            np.maximum(window_days - group["started"].to_numpy(), 0.0),
                            np.nan,
                        ),
                    }
                ),
            )
        )
    return groups
