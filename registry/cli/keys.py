"""``prioreg keys …``: create, import, list, show and check the offices' signing keys from a terminal.

A typer sub-app; the main CLI mounts it as ``prioreg keys``. The keys themselves are kept by
:mod:`registry.ops.keys` (Ethereum v3 keystore files, encrypted at rest with a passphrase).

Secrets never travel on the command line, where ``ps`` and shell history would show them: the
passphrase comes from ``$PRIOREG_KEY_PASSPHRASE`` or a hidden prompt, and a private key to import
from standard input or a hidden prompt. There is deliberately no ``--passphrase`` or ``--key`` option.

Output: rich tables for people, ``--json`` for machines (lowerCamelCase, as in docs/api.md#command-line). A failure
prints one line to standard error and exits with code 2, without a traceback. ``create`` and
``import`` write the state directory that holds the key directory (``<state dir>/keys``): they take
its writer lock (registry.ops.lock); ``list``, ``show`` and ``check`` only read.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from registry.errors import KeyStoreError, RegistryError
from registry.ops.keys import DEFAULT_PASSPHRASE_ENV_VAR, KeyInfo, KeyStore, passphrase_from_env_or_prompt
from registry.ops.lock import writer_lock

__all__ = ["STATE_DIR_ENV_VAR", "app", "default_key_dir"]

STATE_DIR_ENV_VAR = "PRIOREG_STATE_DIR"
ERROR_EXIT_CODE = 2

app = typer.Typer(
    help=(
        "Office signing keys, encrypted at rest (Ethereum v3 keystore files, scrypt). "
        f"Passphrases come from ${DEFAULT_PASSPHRASE_ENV_VAR} or a hidden prompt, never from the command line."
    ),
    no_args_is_help=True,
    # Locals of a failing frame can hold a passphrase or a key: never print them in a traceback.
    pretty_exceptions_show_locals=False,
)

OfficeArg = Annotated[
    str, typer.Argument(help="The office's two-letter WIPO ST.3 code, e.g. EP or US.", show_default=False)
]
DirOption = Annotated[
    Path | None,
    typer.Option(
        "--dir",
        help=f"Directory of the key files. Default: ${STATE_DIR_ENV_VAR}/keys, or ./state/keys when that is unset.",
        file_okay=False,
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for machines instead of a table.")]
ForceOption = Annotated[
    bool, typer.Option("--force", help="Replace the office's existing key. The old key is lost unless backed up.")
]
ScryptOption = Annotated[
    int | None,
    typer.Option(
        "--scrypt-n",
        help=(
            "scrypt cost N for the new key file (a power of two). Default: eth-account's 262144. "
            "Lower values are for tests and demos only: they make a stolen file cheap to attack."
        ),
        min=2,
        show_default=False,
    ),
]


def default_key_dir() -> Path:
    """Return ``$PRIOREG_STATE_DIR/keys``, or ``./state/keys`` when the variable is unset or empty."""
    # Read at call time, not import time, so the variable set for one command applies to it.
    state_dir = os.environ.get(STATE_DIR_ENV_VAR)
    return (Path(state_dir) if state_dir else Path("state")) / "keys"


@app.command("create")
def create(
    office: OfficeArg, key_dir: DirOption = None, force: ForceOption = False, scrypt_n: ScryptOption = None
) -> None:
    """Create a new random key for OFFICE and store it encrypted under a passphrase (asked twice)."""
    with _errors_exit_2(), _writing(key_dir or default_key_dir(), "prioreg keys create"):
        store = KeyStore(key_dir or default_key_dir(), scrypt_n=scrypt_n)
        _refuse_existing(store, office, force)
        passphrase = passphrase_from_env_or_prompt(office, confirm=True)
        info = store.create(office, passphrase, overwrite=force)
    _print_infos([info], as_json=False, title="Key created", caption=str(info.path))


@app.command("import")
def import_(
    office: OfficeArg, key_dir: DirOption = None, force: ForceOption = False, scrypt_n: ScryptOption = None
) -> None:
    """Store an existing private key for OFFICE, encrypted under a passphrase.

    The key (64 hex digits, 0x optional) is read from standard input, or asked for without echo in
    a terminal; with the key piped in, the passphrase must come from $PRIOREG_KEY_PASSPHRASE.
    """
    with _errors_exit_2(), _writing(key_dir or default_key_dir(), "prioreg keys import"):
        store = KeyStore(key_dir or default_key_dir(), scrypt_n=scrypt_n)
        _refuse_existing(store, office, force)
        private_key = _read_private_key(office)
        passphrase = passphrase_from_env_or_prompt(office, confirm=True)
        info = store.import_key(office, private_key, passphrase, overwrite=force)
    _print_infos([info], as_json=False, title="Key imported", caption=str(info.path))


@app.command("list")
def list_(key_dir: DirOption = None, as_json: JsonOption = False) -> None:
    """List the office keys: office, address and creation time (--json adds the file). Never the keys."""
    with _errors_exit_2():
        store = KeyStore(key_dir or default_key_dir())
        infos = store.list()
    if not infos and not as_json:
        typer.echo(f"no office keys in {store.directory}")
        return
    _print_infos(infos, as_json=as_json, title=f"Office keys in {store.directory}")


@app.command("show")
def show(office: OfficeArg, key_dir: DirOption = None, as_json: JsonOption = False) -> None:
    """Print the account address of OFFICE's key (read without the passphrase)."""
    with _errors_exit_2():
        store = KeyStore(key_dir or default_key_dir())
        info = store.info(office)
    if as_json:
        typer.echo(json.dumps({"ipOfficeCode": info.office, "address": info.address}))
    else:
        # The bare address, so that `$(prioreg keys show EP)` can be used in scripts.
        typer.echo(info.address)


@app.command("check")
def check(office: OfficeArg, key_dir: DirOption = None, as_json: JsonOption = False) -> None:
    """Decrypt OFFICE's key to prove the passphrase opens it (before a deployment needs it); prints the address."""
    with _errors_exit_2():
        store = KeyStore(key_dir or default_key_dir())
        # info() first: a missing key is reported before anyone types a passphrase for it.
        office = store.info(office).office
        address = store.load(office, passphrase_from_env_or_prompt(office)).address
    if as_json:
        typer.echo(json.dumps({"ipOfficeCode": office, "address": address, "passphraseOpensKey": True}))
    else:
        typer.echo(f"the passphrase opens the key of office {office}: {address}")


@contextmanager
def _writing(key_dir: Path, command: str) -> Iterator[None]:
    """The writer lock of the state directory that holds ``key_dir`` (its ``keys/``), if it is one.

    A key directory elsewhere (``--dir`` anywhere else) belongs to no state directory: no lock.
    """
    if key_dir.name != "keys":
        yield
        return
    with writer_lock(key_dir.parent, command=command):
        yield


@contextmanager
def _errors_exit_2() -> Iterator[None]:
    try:
        yield
    except RegistryError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        # `from None`: the chained exception is not shown anyway, and must not carry secrets further.
        raise typer.Exit(ERROR_EXIT_CODE) from None


def _refuse_existing(store: KeyStore, office: str, force: bool) -> None:
    # KeyStore refuses too; checking first spares the user typing a passphrase for nothing.
    path = store.path_for(office)
    if path.exists() and not force:
        raise KeyStoreError(f"office {path.stem} already has a key ({path}); add --force to replace it")


def _read_private_key(office: str) -> str:
    if sys.stdin.isatty():
        try:
            return getpass.getpass(f"Private key (hex) for office {office.strip().upper()}: ")
        except (EOFError, KeyboardInterrupt):
            raise KeyStoreError("no private key was given") from None
    text = sys.stdin.read()
    if not text.strip():
        raise KeyStoreError("no private key on standard input: pipe in 64 hex digits, or run in a terminal")
    return text


def _print_infos(infos: list[KeyInfo], *, as_json: bool, title: str, caption: str | None = None) -> None:
    if as_json:
        typer.echo(json.dumps([info.to_json() for info in infos], indent=2))
        return
    table = Table(title=title, caption=caption)
    table.add_column("Office", no_wrap=True)
    # An address cut in two or shortened with an ellipsis would be copied wrongly: keep it whole.
    table.add_column("Address", no_wrap=True, min_width=42)
    table.add_column("Created (UTC)", no_wrap=True)
    # No file column: the files sit in one directory, named in the title or caption, and a path
    # column squeezes to nothing in an 80-column terminal.
    for info in infos:
        table.add_row(info.office, info.address, info.created.strftime("%Y-%m-%d %H:%M:%S"))
    # Built per call so that it writes to the sys.stdout of this moment (tests swap it).
    Console().print(table)
