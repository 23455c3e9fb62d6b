"""What planners ask of the model: where demand comes from, staff, sweeps, the brief."""
