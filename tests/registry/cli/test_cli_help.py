"""Every option's help is printed as written, its ``[default: …]`` included (docs/api.md#command-line).

typer renders help with rich, where ``[…]`` is markup: an unescaped ``[default: ./state]`` was
dropped without a word, so ``--help`` hid the default state directory of every ledger command and
the two days' governance delay of ``prioreg deploy`` on a real network. The commands escape it
(``\\[default: …]``); this test walks the whole command tree and compares what each ``--help``
prints with the help its options carry.
"""

from __future__ import annotations

import re
from typing import Any

import typer
from typer.testing import CliRunner

from registry.cli import app

runner = CliRunner()


def _commands(command: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    # typer's own click (typer._click) or click itself, by what they have: a group has commands
    if hasattr(command, "commands"):
        found: list[tuple[tuple[str, ...], Any]] = []
        for name, sub in command.commands.items():
            found += _commands(sub, (*path, name))
        return found
    return [(path, command)]


def _flat(text: str) -> str:
    """The words of ``text``, without rich's box drawing and line breaks."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


def test_every_option_help_is_printed_whole_with_its_default_in_brackets() -> None:
    commands = _commands(typer.main.get_command(app))
    assert len(commands) >= 29  # every leaf command of `prioreg --help`
    bracketed = 0
    for path, command in commands:
        result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "1000"}, terminal_width=1000)
        assert result.exit_code == 0, (path, result.output)
        shown = _flat(result.output)
        for param in command.params:
            written = getattr(param, "help", None)
            if not written:
                continue
            expected = _flat(written.replace("\\[", "["))
            bracketed += "[default:" in expected
            assert expected in shown, (" ".join(path), param.name, expected)
    # the options whose defaults are words, not values: the state directory, delays, workers
    assert bracketed >= 14


def test_the_default_state_directory_and_governance_delay_are_in_the_help() -> None:
    deploy = _flat(runner.invoke(app, ["deploy", "--help"], env={"COLUMNS": "1000"}, terminal_width=1000).output)
    assert "[default: ./state]" in deploy
    assert "[default: 0 embedded / chain 31337, else 2 days]" in deploy
