"""Starting the Streamlit app and a headless Chromium, for the browser tests and the app
latency benchmark (``benchmarks/app_latency.py``).

The app is started as a user starts it (``streamlit run app/Home.py`` from the repository
root, bound to 127.0.0.1) on a free port, in its own process group so that stopping it
also stops its worker processes. Chromium comes from the system's packages
(``apt-get install chromium``); Playwright never downloads a browser here.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from playwright.sync_api import Browser, Playwright

ROOT = Path(__file__).resolve().parents[2]
APP = "app/Home.py"
SYSTEM_CHROMIUM = Path("/usr/bin/chromium")
MISSING_CHROMIUM = "Chromium not found: install chromium: apt-get install chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STARTUP_SECONDS = 60.0
"""Generous: the machine may be busy with other tests."""
STOP_SECONDS = 15.0


def find_chromium() -> str | None:
    """Debian's Chromium (``/usr/bin/chromium``), else ``chromium`` on the PATH, else None."""
    if SYSTEM_CHROMIUM.is_file() and os.access(SYSTEM_CHROMIUM, os.X_OK):
        return str(SYSTEM_CHROMIUM)
    return shutil.which("chromium")


def launch_chromium(playwright: Playwright, executable: str) -> Browser:
    return playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)


def free_port() -> int:
    """A port nobody listens on now (each pytest-xdist worker asks for its own)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.read().decode().strip() == "ok"
    except OSError:
        return False


def _tail(log: Path, lines: int = 40) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def stop(process: subprocess.Popen) -> None:
    """Stop the server and everything it started (its process group), by its process id."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=STOP_SECONDS)
    # Worker processes may outlive the server's own exit by a moment: end the group.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


@contextlib.contextmanager
def running_app(log: Path, port: int | None = None) -> Iterator[str]:
    """Start the app, wait until it answers its health check, yield its address, stop it."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        APP,
        "--server.headless",
        "true",
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _healthy(url):
            if process.poll() is not None:
                raise RuntimeError(f"the app stopped (exit {process.returncode}):\n{_tail(log)}")
            if time.monotonic() > deadline:
                late = f"the app did not start in {STARTUP_SECONDS:.0f} s"
                raise RuntimeError(f"{late}:\n{_tail(log)}")
            time.sleep(0.2)
        yield url
    finally:
        stop(process)
