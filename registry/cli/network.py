"""``prioreg network init``: a laptop consortium — one node, one state directory a gateway (docs/api.md#command-line).

See :mod:`registry.ops.network`. Then ``prioreg tokens create --state-dir D/CC`` and ``prioreg
serve --state-dir D/CC --port N --endpoint http://127.0.0.1:N`` for each office.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

__all__ = ["app"]

console = Console()

app = typer.Typer(help="A consortium of gateways on one machine (one state directory an office).", no_args_is_help=True)


@app.callback()
def _network() -> None:
    """A consortium of gateways on one machine (one state directory an office)."""


@app.command("init")
def init_cmd(
    rpc_url: Annotated[str, typer.Option("--rpc-url", help="The node every gateway will use (anvil, geth, Besu).")],
    offices: Annotated[str, typer.Option("--offices", help="The offices, comma-separated ST.3 codes: JP,US,EP.")],
    directory: Annotated[Path, typer.Option("--dir", help="A new directory: D/registrar, D/<OFFICE>, D/network.json.")],
    delay: Annotated[
        int | None,
        typer.Option("--delay", min=0, help="Governance delay in seconds. \\[default: 0 on a dev node, else 2 days]"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print network.json for machines.")] = False,
) -> None:
    """Deploy, give every office its own state directory with only its key, admit and fund them."""
    from registry.ops.config import Settings
    from registry.ops.network import NETWORK_FILE, init_network

    made = init_network(Settings(rpc_url=rpc_url), directory, offices.split(","), delay=delay)
    if as_json:
        print(json.dumps(made.to_json()))
        return
    table = Table(title=f"network of chain {made.chain_id}, registry {made.contract}")
    for column in ("office", "signer", "state directory"):
        table.add_column(column)
    for code, office in made.offices.items():
        table.add_row(code, office["signer"], office["stateDir"])
    console.print(table)
    console.print(
        f"written: {made.directory / NETWORK_FILE}; registrar: {made.directory / 'registrar'}", highlight=False
    )
    if made.pending:
        ids = " ".join(str(p) for p in made.pending)
        console.print(
            f"admissions wait {made.governance_delay} s: then `prioreg governance execute ID --state-dir "
            f"{made.directory / 'registrar'}` for {ids}",
            highlight=False,
        )
