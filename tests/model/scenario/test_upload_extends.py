"""An uploaded scenario may extend only the shipped scenarios, by bare name.

Anything else (an absolute path, ``..``, another folder, a device) is refused from the text
of the name alone: these tests record every ``open``, ``os.open``, ``os.stat`` and
``Path.read_text``/``stat`` call while the upload is checked and assert that the named
file was never touched, and that the error does not echo another file's content.
"""

from __future__ import annotations

import builtins
import os
import pathlib
from pathlib import Path

import pytest

from app.state import parse_upload
from model.scenario import SHIPPED_ONLY, ScenarioError, load_scenario, resolve_extends

FORBIDDEN = ["/etc/passwd", "../x.yaml", "/dev/zero", "../../etc/passwd", "/dev/stdin"]


@pytest.fixture
def touched(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every path opened or stat-ed while the test runs."""
    calls: list[str] = []

    def spy(module, name):
        real = getattr(module, name)

        def wrapper(target, *args, **kwargs):
            calls.append(os.fspath(target) if isinstance(target, str | os.PathLike) else "")
            return real(target, *args, **kwargs)

        monkeypatch.setattr(module, name, wrapper)

    spy(builtins, "open")
    spy(os, "open")
    spy(os, "stat")
    spy(os, "lstat")

    for method in ("read_text", "read_bytes", "stat", "exists", "is_file", "open"):
        real = getattr(pathlib.Path, method)

        def wrapper(self, *args, _real=real, **kwargs):
            calls.append(str(self))
            return _real(self, *args, **kwargs)

        monkeypatch.setattr(pathlib.Path, method, wrapper)
    return calls


def _touched_forbidden(calls: list[str], target: str) -> list[str]:
    name = Path(target).name
    return [c for c in calls if c == target or c.endswith("/" + target) or c.endswith(name)]


@pytest.mark.parametrize("target", FORBIDDEN)
def test_upload_extending_another_file_is_refused_without_reading_it(
    touched: list[str], target: str
) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_upload("mine.yaml", f"extends: {target}\nname: x\n".encode())
    (line,) = info.value.lines
    assert line.startswith("mine.yaml: extends: an uploaded scenario may only extend")
    assert "baseline.yaml" in line  # says what is allowed
    assert "root:" not in line  # nothing of /etc/passwd
    assert _touched_forbidden(touched, target) == [], touched
    assert any(c.endswith("mine.yaml") for c in touched)  # the spy does see file access


@pytest.mark.parametrize("target", FORBIDDEN)
def test_loader_refuses_the_same_without_the_app(
    tmp_path: Path, touched: list[str], target: str
) -> None:
    upload = tmp_path / "mine.yaml"
    upload.write_text(f"extends: {target}\n")
    touched.clear()
    with pytest.raises(ScenarioError, match="may only extend a shipped scenario"):
        resolve_extends(upload, SHIPPED_ONLY)
    assert _touched_forbidden(touched, target) == [], touched


@pytest.mark.parametrize("name", ["baseline", "baseline.yaml"])
def test_upload_may_extend_a_shipped_scenario_by_bare_name(name: str) -> None:
    scenario = parse_upload("mine.yaml", f"extends: {name}\nname: mine\n".encode())
    assert scenario.name == "mine"


@pytest.mark.parametrize("name", ["scenarios/baseline.yaml", "./baseline.yaml", ".hidden.yaml"])
def test_only_bare_names_are_accepted(name: str) -> None:
    with pytest.raises(ScenarioError, match="may only extend"):
        parse_upload("mine.yaml", f"extends: {name}\n".encode())


def test_cli_users_keep_relative_and_absolute_extends(tmp_path: Path) -> None:
    base = Path(__file__).resolve().parents[3] / "scenarios" / "baseline.yaml"
    (tmp_path / "a.yaml").write_text(f"extends: {base}\nname: a\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.yaml").write_text("extends: ../a.yaml\nname: b\n")
    assert load_scenario(tmp_path / "sub" / "b.yaml").name == "b"
