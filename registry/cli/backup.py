"""``prioreg state backup DIR`` and ``prioreg state restore DIR`` (docs/api.md#command-line; registry.ops.backup).

``backup`` reads the state directory without the writer lock, so a running gateway keeps serving;
``restore`` takes the writer lock of the target and refuses one that holds anything. Both print
one line of what they did (``--json``: the manifest's summary for machines); every refusal is one
line and exit status 2 (the CLI's ``friendly`` wrapper).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

# The backup module (pydantic, eth-utils) loads when a backup runs, not for `--help` (issue 14).
if TYPE_CHECKING:
    from registry.ops.backup import Manifest

__all__ = ["backup_cmd", "register", "restore_cmd"]

console = Console(soft_wrap=True)

StateOpt = Annotated[
    Path | None, typer.Option("--state-dir", help="The gateway's state directory. \\[default: ./state]")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]


def _state_dir(state_dir: Path | None) -> Path:
    from registry.ops.config import Settings  # PRIOREG_STATE_DIR, then ./state

    return state_dir if state_dir is not None else Settings().state_dir


def _summary(manifest: Manifest, directory: Path) -> dict[str, object]:
    deployment = manifest.deployment or {}
    return {
        "directory": str(directory),
        "files": len(manifest.files),
        "bytes": manifest.total_bytes,
        "journalRecords": manifest.journal_records,
        "contract": deployment.get("contract"),
        "chainId": deployment.get("chain_id"),
        "created": manifest.created,
    }


def backup_cmd(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="A new (or empty) directory for the backup.")],
    state_dir: StateOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Copy everything the state directory keeps into DIR, with a manifest of SHA-256s (a gateway may run)."""
    from registry.ops.backup import backup

    manifest = backup(_state_dir(state_dir), directory)
    summary = _summary(manifest, directory)
    if as_json:
        print(json.dumps(summary))
        return
    records = "" if manifest.journal_records is None else f", chain journal of {manifest.journal_records} records"
    console.print(
        f"backed up {len(manifest.files)} files ({manifest.total_bytes:,} bytes{records}) to {directory}",
        highlight=False,
    )


def restore_cmd(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="A backup made by `prioreg state backup`.")],
    state_dir: Annotated[
        Path | None,
        typer.Option("--state-dir", help="The state directory to restore into: new or empty. \\[default: ./state]"),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Verify the backup in DIR and restore it into a new or empty state directory (takes its writer lock)."""
    from registry.ops.backup import restore

    target = _state_dir(state_dir)
    manifest = restore(directory, target)
    summary = _summary(manifest, target)
    if as_json:
        print(json.dumps(summary))
        return
    console.print(
        f"restored {len(manifest.files)} files ({manifest.total_bytes:,} bytes, made {manifest.created}) "
        f"into {target}; the manifest's SHA-256s all match",
        highlight=False,
    )


def register(state_app: typer.Typer) -> None:
    """Add ``backup`` and ``restore`` to the ``prioreg state`` group (beside ``check``)."""
    state_app.command("backup")(backup_cmd)
    state_app.command("restore")(restore_cmd)
