"""``prioreg package verify FILE``: check a priority-document package against the ledger (docs/api.md#command-line).

It needs only a node, exactly one of: ``--rpc-url URL`` (the contract is the one the manifest names), or
``--state-dir DIR`` (the embedded chain kept there, read without the lock, and the deployment recorded there). No
gateway and no index are asked, so a court or an applicant can check a package years later
(docs/spec/packages.md#checks).

Every check is printed. Exit status, as ``prioreg check-evidence``'s (docs/api.md#evidence): 0 valid, 1 invalid (a
check failed, or the node is another chain than the manifest's), 2 a malformed file (the check
``archiveWellFormed``: the package is refused unread), 3 the node is unreachable.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from registry import errors

if TYPE_CHECKING:
    from registry.ledger.chain import Chain
    from registry.service.packages import PackageVerification

__all__ = ["app", "verification_json"]

app = typer.Typer(help="Priority-document packages (R26).", no_args_is_help=True)
console = Console(soft_wrap=True, highlight=False)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

#: The exit statuses, those of ``prioreg check-evidence`` (docs/api.md#evidence).
VALID, INVALID, MALFORMED, UNREACHABLE = 0, 1, 2, 3


def verification_json(answer: PackageVerification) -> dict[str, Any]:
    """The answer as docs/api.md#priority-documents writes it (the verify endpoint's body)."""
    from registry.service.answers import PackageVerificationOut

    return PackageVerificationOut.of(answer).body()


def _open(rpc_url: str | None, state_dir: Path | None) -> tuple[Chain, str | None]:
    """The node, and the contract to trust (a state directory's deployment; with a URL alone, the manifest's)."""
    from registry.ledger.chain import Chain
    from registry.ops.state import StateDir

    if rpc_url is not None:
        return Chain.connect(rpc_url, timeout=10.0), None
    from registry.cli.evidence import has_embedded_chain

    assert state_dir is not None
    if not has_embedded_chain(state_dir):
        raise errors.LedgerUnavailable(f"{state_dir} holds no embedded chain")
    deployment = StateDir(state_dir).deployment()
    return Chain.embedded(state_dir, read_only=True), deployment.contract if deployment is not None else None


@app.command("verify")
def verify_cmd(
    file: Annotated[Path, typer.Argument(help="The package (a .zip).", dir_okay=False)],
    access_code: Annotated[
        str | None, typer.Option("--access-code", help="Also check that number and code give the commitment.")
    ] = None,
    rpc_url: Annotated[
        str | None, typer.Option("--rpc-url", help="A JSON-RPC node; the manifest names chain and contract.")
    ] = None,
    state_dir: Annotated[
        Path | None,
        typer.Option("--state-dir", help="Check against the embedded chain kept in this state directory (read only)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
) -> None:
    """Check a priority-document package against the ledger; exit 0 valid, 1 invalid, 2 malformed, 3 no node."""
    from registry.domain.packages import MAX_ZIP_BYTES
    from registry.service.packages import verify_package

    if (rpc_url is None) == (state_dir is None):
        err_console.print("[red]error:[/] give exactly one of --rpc-url and --state-dir")
        raise typer.Exit(MALFORMED)
    try:
        if file.stat().st_size > MAX_ZIP_BYTES:  # refused before a byte is read
            raise errors.MalformedPackage(f"archiveWellFormed: {file} is larger than a package of 64 MB can be")
        data = file.read_bytes()
        chain, contract = _open(rpc_url, state_dir)
        try:
            answer = verify_package(chain, contract, data, access_code)
        finally:
            chain.close()
    except OSError as exc:
        err_console.print(f"[red]malformed:[/] {file} cannot be read: {exc}")
        raise typer.Exit(MALFORMED) from None
    except errors.MalformedPackage as exc:
        err_console.print(f"[red]malformed:[/] {exc.message}")
        raise typer.Exit(MALFORMED) from None
    except errors.LedgerUnavailable as exc:
        err_console.print(f"[red]ledger unavailable:[/] {exc.message}")
        raise typer.Exit(UNREACHABLE) from None
    if as_json:
        print(json.dumps(verification_json(answer), indent=2))
    else:
        for check in answer.checks:
            mark = "[green]✓[/]" if check.passed else "[red]✗[/]"
            console.print(f"{mark} {check.name}: {check.message}")
        where = f"{answer.ip_office_code} {answer.application_number}" if answer.application_number else "?"
        current = "current" if answer.current else f"not current (the latest is version {answer.current_version})"
        verdict = "[green]valid[/]" if answer.valid else "[red]invalid[/]"
        console.print(f"{verdict}: {where}, version {answer.version}, {current}")
    raise typer.Exit(VALID if answer.valid else INVALID)
