"""The discrete-event model of the unit: sources, stages, staff pools, random streams and KPIs."""
