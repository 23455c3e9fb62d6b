"""Intervals in words on the headline cards stop at the quantity's natural limits."""

from __future__ import annotations


def test_an_interval_stops_at_the_natural_limits():
    """A share's interval from three runs can reach below 0% (seen on the Results page on
    a phone: "-3.1% i 19.1%"); the words stop at 0 and 100%, days at 0."""
    from app.formatting import ci_text
    from app.i18n import use_language
    from model.replications import Estimate

    share = Estimate(mean=0.08, ci_low=-0.031, ci_high=0.191, half_width=0.111, n=3)
    days = Estimate(mean=0.7, ci_low=-0.6, ci_high=2.0, half_width=1.3, n=3)
    with use_language("en"):
        assert "-" not in ci_text(share, 1, True, (0.0, 1.0))
        assert "0.0%" in ci_text(share, 1, True, (0.0, 1.0))
        assert "-" not in ci_text(days, 1, False, (0.0, None))
        assert "-3.1%" in ci_text(share, 1, True)  # no limits given: as computed
