"""``prioreg tokens create | list | revoke``: the API tokens of one gateway (docs/api.md#who-is-calling, ``tokens``
row).

A token is shown once (``--json``: ``{"token": …, "id": …}``) and kept only as its hash in the
gateway's state directory (:mod:`registry.service.tokens`). These commands do not take the writer
lock — the gateway holds it while it serves — and a running gateway picks the change up within a
second. ``--office`` defaults to the directory's only office (the one key in ``keys/``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from registry import errors
from registry.domain.offices import validate_office
from registry.ops.state import StateDir

__all__ = ["app"]

console = Console()
err = Console(stderr=True, soft_wrap=True)

app = typer.Typer(help="API tokens of one gateway: create (shown once), list, revoke.", no_args_is_help=True)

StateOpt = Annotated[
    Path, typer.Option("--state-dir", envvar="PRIOREG_STATE_DIR", help="The gateway's state directory.")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]


def _state(path: Path) -> StateDir:
    state = StateDir(path.expanduser())
    if state.deployment() is None:
        raise errors.RegistryError(f"no deployment in {state.path}: tokens belong to a gateway's state directory")
    return state


def _own_office(state: StateDir, office: str | None) -> str:
    from registry.ops.keys import KeyStore

    held = sorted(info.office for info in KeyStore(state.keys_dir).list()) if state.keys_dir.exists() else []
    if office is not None:
        code = validate_office(office)
        if code not in held:
            raise errors.RegistryError(f"{state.path} holds no key for {code}: its gateway cannot write for it")
        return code
    if len(held) != 1:
        shown = ", ".join(held) or "none"
        raise errors.InvalidInput(
            f"{state.path} holds the keys of {shown}: name the token's office with --office", code="required"
        )
    return held[0]


@app.command("create")
def create_cmd(
    state_dir: StateOpt = Path("state"),
    office: Annotated[
        str | None, typer.Option("--office", help="The token's office. \\[default: the directory's only office]")
    ] = None,
    expires: Annotated[
        int | None, typer.Option("--expires", help="Days until the token stops working. \\[default: never]")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Mint a token for the gateway's office; it is printed once and kept only as a hash."""
    from registry.service.tokens import edit_tokens, parse_expiry  # lazily: registry.service loads web3

    state = _state(state_dir)
    code = _own_office(state, office)
    lifetime = parse_expiry(expires)
    with edit_tokens(state.path) as store:
        stored, token = store.create(code, expires_in=lifetime)
    if as_json:
        print(json.dumps({"token": token, "id": stored.id, **stored.to_json()}))
        return
    console.print(token, highlight=False, soft_wrap=True)
    err.print(
        f"token {stored.id} for {code}"
        + (f", valid until {stored.to_json()['expires']}" if stored.expires else "")
        + " — shown only now; `prioreg tokens revoke "
        + stored.id
        + "` withdraws it",
        highlight=False,
    )


@app.command("list")
def list_cmd(state_dir: StateOpt = Path("state"), as_json: JsonOpt = False) -> None:
    """The gateway's tokens: id, office, created, expires (never the tokens)."""
    import datetime as dt

    from registry.service.tokens import TOKENS_FILE, TokenStore  # lazily: registry.service loads web3

    state = _state(state_dir)
    tokens = TokenStore.load(state.path / TOKENS_FILE).list()
    if as_json:
        print(json.dumps({"tokens": [t.to_json() for t in tokens]}))
        return
    now = dt.datetime.now(dt.UTC)
    table = Table(title=f"tokens of {state.path}")
    for column in ("id", "office", "created", "expires", ""):
        table.add_column(column)
    for t in tokens:
        shown = t.to_json()
        table.add_row(
            t.id, t.office, shown["created"], shown["expires"] or "never", "expired" if t.expired(now) else ""
        )
    console.print(table)


@app.command("revoke")
def revoke_cmd(
    token_id: Annotated[str, typer.Argument(metavar="ID", help="The token's id (see `prioreg tokens list`).")],
    state_dir: StateOpt = Path("state"),
    as_json: JsonOpt = False,
) -> None:
    """Withdraw a token; a running gateway refuses it within a second."""
    from registry.service.tokens import edit_tokens  # lazily: registry.service loads web3

    state = _state(state_dir)
    with edit_tokens(state.path) as store:
        stored = store.revoke(token_id)
    if as_json:
        print(json.dumps({"revoked": stored.id, "office": stored.office}))
    else:
        console.print(f"revoked {stored.id} ({stored.office})", highlight=False)
