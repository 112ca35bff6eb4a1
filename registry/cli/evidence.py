"""``prioreg check-evidence FILE [--rpc-url URL | --state-dir DIR]``: re-check a saved verify answer
(docs/api.md#evidence, docs/api.md#command-line).

The answer of ``POST /v1/priority-claims/verify`` or ``prioreg verify --json``, saved to a file, is checked again
against any node of its chain — or the embedded chain kept in a state directory, read without the lock — with
nothing of the gateway that gave it: the checks are :mod:`registry.service.evidence_check`. One line per check;
the exit status is the contract's:

====  ==============================================
0     everything holds and the verdict is the same
1     something differs
2     the file is malformed
3     the node cannot be reached
====  ==============================================
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from registry import errors

__all__ = ["check_evidence_cmd", "has_embedded_chain"]

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

#: docs/api.md#evidence: the exit statuses of check-evidence.
HOLDS, DIFFERS, MALFORMED, UNREACHABLE = 0, 1, 2, 3


def has_embedded_chain(state_dir: Path) -> bool:
    """Whether ``state_dir`` keeps an embedded chain (its journal): without one there is no node to ask (exit 3),
    which is not evidence that differs (exit 1)."""
    from registry.ledger.embedded import Journal

    return (state_dir / Journal.FILE_NAME).is_file()


def check_evidence_cmd(
    file: Annotated[
        Path,
        typer.Argument(
            help="A saved verify answer (JSON, as the API or `prioreg verify --json` wrote it).", dir_okay=False
        ),
    ],
    rpc_url: Annotated[
        str | None, typer.Option("--rpc-url", help="Any node of the chain the evidence names (JSON-RPC URL).")
    ] = None,
    state_dir: Annotated[
        Path | None,
        typer.Option("--state-dir", help="Check against the embedded chain kept in this state directory (read only)."),
    ] = None,
) -> None:
    """Re-check a saved verification against a node: transaction, block, calldata, Merkle proof, batch root on
    chain and the verdict under the rules (exit 0 holds, 1 differs, 2 malformed file, 3 node unreachable)."""
    from registry.ledger.chain import Chain
    from registry.service.evidence_check import MalformedEvidence, check_evidence, read_answer

    if (rpc_url is None) == (state_dir is None):
        err_console.print("[red]error:[/] give exactly one of --rpc-url and --state-dir")
        raise typer.Exit(MALFORMED)
    try:
        answer = read_answer(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        err_console.print(f"[red]malformed:[/] {file} cannot be read: {exc}")
        raise typer.Exit(MALFORMED) from None
    except MalformedEvidence as exc:
        err_console.print(f"[red]malformed:[/] {exc}")
        raise typer.Exit(MALFORMED) from None
    try:
        if rpc_url is not None:
            chain = Chain.connect(rpc_url, timeout=10.0)
        else:
            assert state_dir is not None
            if not has_embedded_chain(state_dir):
                err_console.print(f"[red]ledger unavailable:[/] {state_dir} holds no embedded chain")
                raise typer.Exit(UNREACHABLE)
            chain = Chain.embedded(state_dir, read_only=True)
        try:
            checks = check_evidence(answer, chain)
        finally:
            chain.close()
    except errors.LedgerUnavailable as exc:
        err_console.print(f"[red]ledger unavailable:[/] {exc.message}")
        raise typer.Exit(UNREACHABLE) from None
    except MalformedEvidence as exc:
        err_console.print(f"[red]malformed:[/] {exc}")
        raise typer.Exit(MALFORMED) from None
    except errors.RegistryError as exc:
        err_console.print(f"[red]differs:[/] the node refused a read of the evidence: {exc.message}")
        raise typer.Exit(DIFFERS) from None
    for check in checks:
        mark = "[green]ok[/]     " if check.passed else "[red]DIFFERS[/]"
        console.print(f"{mark} {check.name}: {check.message}")
    if all(c.passed for c in checks):
        console.print("[bold green]the evidence holds[/]")
        raise typer.Exit(HOLDS)
    failed = sum(not c.passed for c in checks)
    console.print(f"[bold red]{failed} check{'s' if failed > 1 else ''} failed[/]")
    raise typer.Exit(DIFFERS)
