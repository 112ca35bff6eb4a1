"""The installed package runs anywhere: the wheel carries everything the registry reads at run time.

Outside checks install the project with ``pip install .`` into a fresh virtual environment and run
``prioreg`` from another directory, where the source tree is out of reach. This test does the same
without a download: it builds the wheel once per session from a copy of the sources (so the
checkout stays clean), checks that it carries the package data (the calendars, the contract
artifact that is a link in the source tree), installs it with ``--no-deps`` into a new venv that
sees this environment's dependencies through a ``.pth`` line (the editable install's finder is not
loaded that way), and runs ``number``, ``demo`` and ``serve --demo`` from an empty directory.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# One worker runs them all (`--dist loadgroup`), so that the session's wheel is built once.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("packaging")]

REPO = Path(__file__).resolve().parents[1]


def _copy_sources(target: Path) -> None:
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, target / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in ("registry", "api"):
        shutil.copytree(REPO / package, target / package, symlinks=True, ignore=ignore)
    shutil.copytree(REPO / "contracts" / "artifacts", target / "contracts" / "artifacts")


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built once per session from a copy of the sources (no download)."""
    root = tmp_path_factory.mktemp("wheel")
    sources, wheels = root / "src", root / "wheels"
    sources.mkdir()
    _copy_sources(sources)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(wheels), "."],
        cwd=sources,
        check=True,
        capture_output=True,
    )
    (built,) = wheels.glob("priority_registry-*.whl")
    return built


@pytest.fixture(scope="session")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The ``bin`` directory of a fresh venv holding the wheel (and nothing of the source tree)."""
    env_dir = tmp_path_factory.mktemp("packaging") / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # One plain path line: the dependencies become importable, but the .pth files beside them (the
    # editable install's finder among them) are not run, so `registry` can only come from the wheel.
    Path(purelib, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", str(wheel)],
        check=True,
        capture_output=True,
    )
    yield env_dir / "bin"


def _run(bin_dir: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRIOREG_")}
    env["COLUMNS"] = "120"
    return subprocess.run(
        [str(bin_dir / "prioreg"), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_the_wheel_carries_the_package_data_the_registry_reads_at_run_time(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        shipped_artifact = archive.read("registry/ledger/artifacts/PriorityRegistry.json")
    for data in sorted((REPO / "registry" / "domain" / "data").iterdir()):
        assert f"registry/domain/data/{data.name}" in names
    for static in sorted((REPO / "api" / "static").iterdir()):
        assert f"api/static/{static.name}" in names
    assert "registry/py.typed" in names
    # The source tree's artifact is a link to contracts/artifacts: the wheel holds the file itself.
    assert shipped_artifact == (REPO / "contracts" / "artifacts" / "PriorityRegistry.json").read_bytes()
    assert not any(name.startswith(("tests/", "contracts/", "scripts/")) for name in names)


def test_the_installed_package_is_imported_from_the_wheel_not_the_source_tree(installed: Path, tmp_path: Path) -> None:
    found = subprocess.run(
        [str(installed / "python"), "-c", "import registry, api; print(registry.__file__); print(api.__file__)"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert all(str(installed.parent) in path for path in found), found


def test_number_runs_from_another_directory(installed: Path, tmp_path: Path) -> None:
    result = _run(installed, tmp_path, "number", "EP", "99203729", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["canonical"] == "EP99203729"


def test_demo_runs_from_another_directory_and_draws_the_family(installed: Path, tmp_path: Path) -> None:
    result = _run(installed, tmp_path, "demo")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "family.svg").read_text(encoding="utf-8").startswith("<svg ")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_serve_demo_runs_from_another_directory(installed: Path, tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRIOREG_")}
    server = subprocess.Popen(
        [str(installed / "prioreg"), "serve", "--demo", "--port", str(port), "--state-dir", "state"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        # A demo start deploys and admits nine offices: tens of seconds on a busy 2-core machine.
        deadline = time.monotonic() + 240
        health: dict[str, object] | None = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/health", timeout=2) as answer:
                    health = json.loads(answer.read())
                    break
            except OSError:
                time.sleep(0.2)
        if health is None:
            server.terminate()
            output = server.communicate(timeout=30)[0]
            pytest.fail(f"no answer on /v1/health: {output.decode(errors='replace')[-3000:]}")
        assert health["status"] == "ok"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as page:
            assert b"Verify a priority claim" in page.read()
    finally:
        server.terminate()
        server.wait(timeout=30)
        if server.stdout is not None:
            server.stdout.close()  # a pipe left to the collector is a ResourceWarning, an error here
