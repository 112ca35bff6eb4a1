"""``prioreg keys …`` from a terminal: secrets only from the environment or stdin, clean exits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner, Result

from registry.cli.keys import app, default_key_dir
from registry.ops.keys import KeyStore

PASSPHRASE = "correct horse battery staple"
KNOWN_KEY = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
KNOWN_ADDRESS = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
FAST = ["--scrypt-n", "16"]  # the default scrypt cost takes about a second per key


@pytest.fixture
def key_dir(tmp_path: Path) -> Path:
    return tmp_path / "keys"


def run(*args: str, passphrase: str | None = PASSPHRASE, stdin: str | None = None, **env: str) -> Result:
    environment: dict[str, str | None] = {"PRIOREG_KEY_PASSPHRASE": passphrase, **env}
    result = CliRunner().invoke(app, list(args), input=stdin, env=environment)
    # Whatever happened, no secret and no traceback reach the terminal.
    for secret in (PASSPHRASE, KNOWN_KEY.removeprefix("0x")):
        assert secret not in result.output
    assert "Traceback" not in result.output
    return result


def assert_one_line_error(result: Result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0]


def test_create_then_show_gives_the_address_the_passphrase_unlocks(key_dir: Path) -> None:
    created = run("create", "EP", "--dir", str(key_dir), *FAST)
    assert created.exit_code == 0, created.output
    shown = run("show", "EP", "--dir", str(key_dir), passphrase=None)
    assert shown.exit_code == 0
    address = shown.stdout.strip()
    assert address in created.stdout
    assert KeyStore(key_dir).load("EP", PASSPHRASE).address == address


def test_show_json_gives_office_and_address_only(key_dir: Path) -> None:
    KeyStore(key_dir, scrypt_n=16).import_key("US", KNOWN_KEY, PASSPHRASE)
    result = run("show", "us", "--dir", str(key_dir), "--json", passphrase=None)
    assert json.loads(result.stdout) == {"ipOfficeCode": "US", "address": KNOWN_ADDRESS}


def test_key_dir_defaults_to_the_state_dir(tmp_path: Path) -> None:
    result = run("create", "EP", *FAST, PRIOREG_STATE_DIR=str(tmp_path / "state-a"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "state-a" / "keys" / "EP.json").is_file()


def test_key_dir_falls_back_to_state_keys_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PRIOREG_STATE_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    assert default_key_dir() == Path("state/keys")
    assert run("create", "EP", *FAST).exit_code == 0
    assert (tmp_path / "state" / "keys" / "EP.json").is_file()


def test_import_reads_the_private_key_from_stdin(key_dir: Path) -> None:
    result = run("import", "US", "--dir", str(key_dir), *FAST, stdin=KNOWN_KEY + "\n")
    assert result.exit_code == 0, result.output
    assert KNOWN_ADDRESS in result.stdout
    assert KeyStore(key_dir).load("US", PASSPHRASE).address == KNOWN_ADDRESS


def test_import_refuses_the_private_key_as_an_argument(key_dir: Path) -> None:
    # Not KNOWN_KEY: click rightly echoes an unexpected argument, and run() checks that secret is never shown.
    result = run("import", "US", "ab" * 32, "--dir", str(key_dir), *FAST)
    assert result.exit_code == 2
    assert not (key_dir / "US.json").exists()


def test_import_of_something_that_is_not_a_key_fails_in_one_line(key_dir: Path) -> None:
    result = run("import", "US", "--dir", str(key_dir), *FAST, stdin="not a key\n")
    assert_one_line_error(result, "64 hexadecimal digits")
    assert "not a key" not in result.stderr
    assert not (key_dir / "US.json").exists()


def test_import_with_empty_stdin_fails_in_one_line(key_dir: Path) -> None:
    assert_one_line_error(run("import", "US", "--dir", str(key_dir), *FAST, stdin=""), "standard input")


def test_wrong_passphrase_exits_2_with_one_line(key_dir: Path) -> None:
    KeyStore(key_dir, scrypt_n=16).create("EP", PASSPHRASE)
    result = run("check", "EP", "--dir", str(key_dir), passphrase="not the passphrase")
    assert_one_line_error(result, "passphrase does not open the key of office EP")
    assert "not the passphrase" not in result.output


def test_check_confirms_the_right_passphrase(key_dir: Path) -> None:
    KeyStore(key_dir, scrypt_n=16).import_key("US", KNOWN_KEY, PASSPHRASE)
    result = run("check", "US", "--dir", str(key_dir), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"ipOfficeCode": "US", "address": KNOWN_ADDRESS, "passphraseOpensKey": True}


def test_missing_key_exits_2_with_one_line(key_dir: Path) -> None:
    assert_one_line_error(run("show", "JP", "--dir", str(key_dir)), "no key for office JP")
    # Reported before any passphrase is asked for (there is none in the environment here).
    assert_one_line_error(run("check", "JP", "--dir", str(key_dir), passphrase=None), "no key for office JP")


def test_without_passphrase_variable_or_terminal_the_error_names_the_variable(key_dir: Path) -> None:
    result = run("create", "EP", "--dir", str(key_dir), *FAST, passphrase=None)
    assert_one_line_error(result, "PRIOREG_KEY_PASSPHRASE")
    assert not (key_dir / "EP.json").exists()


def test_invalid_office_code_exits_2_with_one_line(key_dir: Path) -> None:
    assert_one_line_error(run("create", "QM", "--dir", str(key_dir), *FAST), "reserved")
    assert_one_line_error(run("show", "E1", "--dir", str(key_dir)), "not an office code")


def test_existing_key_is_replaced_only_with_force(key_dir: Path) -> None:
    first = run("create", "EP", "--dir", str(key_dir), *FAST)
    assert first.exit_code == 0
    before = (key_dir / "EP.json").read_bytes()
    assert_one_line_error(run("create", "EP", "--dir", str(key_dir), *FAST), "already has a key", "--force")
    assert_one_line_error(
        run("import", "EP", "--dir", str(key_dir), *FAST, stdin=KNOWN_KEY), "already has a key", "--force"
    )
    assert (key_dir / "EP.json").read_bytes() == before
    forced = run("import", "EP", "--dir", str(key_dir), "--force", *FAST, stdin=KNOWN_KEY)
    assert forced.exit_code == 0, forced.output
    assert KeyStore(key_dir).address("EP") == KNOWN_ADDRESS


def test_list_shows_offices_and_addresses_but_never_keys(key_dir: Path) -> None:
    store = KeyStore(key_dir, scrypt_n=16)
    store.import_key("US", KNOWN_KEY, PASSPHRASE)
    store.create("EP", PASSPHRASE)
    table = run("list", "--dir", str(key_dir), passphrase=None)
    assert table.exit_code == 0
    assert KNOWN_ADDRESS in table.stdout  # whole, not wrapped or shortened
    assert table.stdout.index("EP") < table.stdout.index("US")
    listed = json.loads(run("list", "--dir", str(key_dir), "--json", passphrase=None).stdout)
    assert [(k["ipOfficeCode"], k["address"]) for k in listed] == [("EP", store.address("EP")), ("US", KNOWN_ADDRESS)]
    assert set(listed[0]) == {"ipOfficeCode", "address", "path", "created"}


def test_list_of_an_empty_store(key_dir: Path) -> None:
    assert "no office keys" in run("list", "--dir", str(key_dir)).stdout
    assert json.loads(run("list", "--dir", str(key_dir), "--json").stdout) == []


def _commands() -> dict[str, Any]:
    # Typer 0.29 vendors click (typer._click): read the built command tree by its attributes.
    return dict(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def test_no_command_takes_a_passphrase_or_key_as_an_option() -> None:
    commands = _commands()
    assert set(commands) == {"create", "import", "list", "show", "check"}
    for name, command in commands.items():
        for param in command.params:
            for spelled in [param.name or "", *param.opts]:
                assert "pass" not in spelled.lower(), (name, spelled)
                assert "secret" not in spelled.lower(), (name, spelled)
                assert spelled.lower().strip("-") not in {"key", "private-key", "private_key"}, (name, spelled)


@pytest.mark.parametrize("command", ["create", "import", "check"])
def test_passphrase_on_the_command_line_is_refused(key_dir: Path, command: str) -> None:
    result = run(command, "EP", "--dir", str(key_dir), "--passphrase", "on-argv")
    assert result.exit_code == 2
    assert "No such option" in result.output
    assert not (key_dir / "EP.json").exists()


def test_every_command_and_option_has_help() -> None:
    for name, command in _commands().items():
        assert command.help, name
        for param in command.params:
            assert getattr(param, "help", None), (name, param.name)
