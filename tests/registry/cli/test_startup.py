"""``prioreg number`` and every ``--help`` start without the chain's libraries (issue 14, item 6).

web3 and eth-account take about a second to import, FastAPI and uvicorn a few tenths more; a
command that only reads a number or prints its help needs none of them. The commands import them
inside their bodies, and these tests run the real entry point in a fresh interpreter and look at
``sys.modules`` afterwards: a behaviour, not a timing (the machine is shared, times drift).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import typer

from registry.cli import app
from registry.cli.serve import DEMO_OFFICES_SHOWN
from registry.ops.deployment import DEFAULT_DEMO_OFFICES

#: What a quick command must not load: the chain (web3, eth-account, eth-tester), the gateway
#: (FastAPI, uvicorn), the settings (pydantic-settings) and the holiday calendars.
HEAVY = ("web3", "eth_account", "eth_tester", "fastapi", "uvicorn", "pydantic_settings", "holidays")

# Runs `prioreg ARGS` once per line of argument lists (JSON) through the console script's own
# entry point, in this one interpreter, then writes the exit codes and sys.modules to a file.
_PROBE = """
import contextlib, io, json, sys
out, runs = sys.argv[1], json.loads(sys.argv[2])
from registry.cli import main
codes, texts = [], []
for argv in runs:
    sys.argv = ["prioreg", *argv]
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        try:
            main()
            codes.append(0)
        except SystemExit as exc:
            codes.append(exc.code or 0)
    texts.append(buffer.getvalue())
with open(out, "w", encoding="utf-8") as fh:
    json.dump({"codes": codes, "texts": texts, "modules": sorted(sys.modules)}, fh)
"""


def _probe(tmp_path: Path, runs: list[list[str]]) -> dict[str, Any]:
    out = tmp_path / "probe.json"
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(out), json.dumps(runs)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "200", "HOME": str(tmp_path)},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result


def _loaded_heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if m.split(".")[0] in HEAVY]


def _command_paths(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    # typer's groups (its own copy of click's): a group is what has sub-commands.
    paths = []
    for name, command in group.commands.items():
        path = (*prefix, name)
        paths.append(path)
        if hasattr(command, "commands"):
            paths.extend(_command_paths(command, path))
    return paths


def test_prioreg_number_prints_the_canonical_form_without_loading_the_chain_or_the_gateway(tmp_path: Path) -> None:
    result = _probe(tmp_path, [["number", "EP", "99203729", "--json"]])
    assert result["codes"] == [0]
    assert json.loads(result["texts"][0])["canonical"] == "EP99203729"
    assert _loaded_heavy(result["modules"]) == []


def test_every_help_of_prioreg_loads_neither_the_chain_nor_the_gateway(tmp_path: Path) -> None:
    paths = _command_paths(typer.main.get_command(app))
    # Every command and group of the tree, so that a new command with an eager import fails here.
    assert {
        ("number",),
        ("anchor",),
        ("serve",),
        ("keys", "create"),
        ("state", "check"),
        ("governance", "pending"),
    } <= set(paths)
    runs = [["--help"], *([*path, "--help"] for path in paths)]
    result = _probe(tmp_path, runs)
    assert result["codes"] == [0] * len(runs)
    for argv, text in zip(runs, result["texts"], strict=True):
        assert "Usage: prioreg" in text, argv
    assert _loaded_heavy(result["modules"]) == []


def test_serve_help_shows_the_demo_offices_that_serve_admits(tmp_path: Path) -> None:
    # The help spells the default out (importing it would load web3): the two must stay one list.
    assert ",".join(DEFAULT_DEMO_OFFICES) == DEMO_OFFICES_SHOWN
    result = _probe(tmp_path, [["serve", "--help"]])
    assert f"[default: {DEMO_OFFICES_SHOWN}]" in result["texts"][0]
