"""``acusim``, the one command line: a thin face over ``planning``, ``calibration``,
``verification`` and ``model``, one module per command group.

Before numpy is first imported, its BLAS library is told to use one thread unless the
user said otherwise: the command's parallelism is its worker processes (one per core), the
simulation does no large linear algebra, and OpenBLAS starting a thread per core at import
cost about 0.1 s of CPU on every command (a quarter of ``acusim validate``) and would
oversubscribe the cores the workers use (docs/performance.md, Start-up)."""

import os

for _threads in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_threads, "1")
