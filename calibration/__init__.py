"""Fitting scenarios to a force's case-management extract (docs/calibration.md).

The in-memory entry point for the app and scripts is :func:`calibrate_extract`: CSV
paths, bytes, uploaded files or DataFrames in; a :class:`CalibrationResult` with the
validated scenario, its commented YAML and the HTML report out.
"""

from calibration.extract import ExtractError
from calibration.pipeline import CalibrationResult, calibrate_extract
from calibration.types import CalibrationError, CalibrationSettings

__all__ = [
    "CalibrationError",
    "CalibrationResult",
    "CalibrationSettings",
    "ExtractError",
    "calibrate_extract",
]
