"""Fitting scenarios to a force's case-management extract."""
