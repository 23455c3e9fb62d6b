"""The waits view: censored medians and 90th percentiles, and an overloaded stage said in
words (English and Welsh) and left out of the chart instead of given a settled wait."""

from __future__ import annotations

from app import views
from app.i18n import use_language
from model.replications import run_replications
from model.scenario import scenario_from_mapping
from tests.conftest import as_mapping, queue_scenario


def two_stages():
    """Review (1 server, 1.5 a day: overloaded) sending 10% on to a lightly loaded stage."""
    data = as_mapping(
        queue_scenario(servers=1, arrivals_per_day=1.5, horizon_years=1, warmup_days=0)
    )
    data["sources"]["poisson"]["entry_stage"] = "review"
    data["stages"] = {
        "review": {
            **data["stages"]["service"],
            "title": "Review",
            "routing": {"default": {"done": 0.9, "service": 0.1}},
        },
        "service": data["stages"]["service"],
    }
    return scenario_from_mapping(data, "test")


def test_overloaded_stage_is_said_in_words_and_left_out_of_the_chart() -> None:
    results = run_replications(two_stages(), replications=3)
    with use_language("en"):
        view = views.waits(results)
        assert view.reading.startswith("Overloaded: Review.")
        assert "still waiting at the end" in view.reading
        labels = set(view.table.iloc[:, 0])
        assert labels == {"Service"}
    with use_language("cy"):
        assert views.waits(results).reading.startswith("Wedi'u gorlwytho: ")


def test_settled_waits_read_as_medians() -> None:
    settled = queue_scenario(servers=2, arrivals_per_day=1.0, horizon_years=1, warmup_days=0)
    results = run_replications(settled, replications=3)
    with use_language("en"):
        view = views.waits(results)
    assert view.reading.startswith("Cases wait longest before Service: half wait more than")
