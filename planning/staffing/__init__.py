"""Staffing answers: the cheapest unit meeting the targets, its cost, when to recruit."""
