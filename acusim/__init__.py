"""``acusim``, the one command line: a thin face over ``planning``, ``calibration``,
``verification`` and ``model``, one module per command group."""
