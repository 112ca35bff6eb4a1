"""``prioreg state check [--repair]``: is a state directory sound, and if not, what can be kept.

docs/design.md#p8-one-writer-per-state-directory: journal replay never fails silently. ``state check`` reads the
directory without the writer lock and writes nothing (docs/api.md#one-writer-per-state-directory: it is a read-only
command; a gateway may be running on the directory): it replays the whole chain journal from genesis, without the
snapshot, and names the first record that cannot be used — a corrupt frame (checksum, length) or one py-evm
refuses (a wrong nonce: what two writers on one journal leave) — in one line, with what a repair
would keep. A torn tail (the last append cut short by a crash, never acknowledged) and a creation
that was killed half-way are reported too.

``--repair`` takes the writer lock (refused while a gateway runs) and keeps every record up to the
first bad one (registry.ledger.embedded.repair_journal: written beside, fsynced, renamed; the dropped
bytes kept in ``chain.journal.dropped-<offset>``), removes the snapshot, and rebuilds the index
from the repaired chain. It says what it dropped. Exit status: 0 when the directory is sound (or
was made sound), 1 when something is wrong (and was not repaired), 2 when it cannot be checked.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from registry import errors
from registry.ops.lock import writer_lock
from registry.ops.state import StateDir

# The embedded chain's journal (and the pydantic and eth-utils it brings) loads when a check runs,
# not for `prioreg --help` (issue 14: start-up < 0.5 s).
if TYPE_CHECKING:
    from registry.ledger.embedded import JournalCheck

__all__ = ["app"]

app = typer.Typer(help="Check (and repair), back up and restore a state directory.", no_args_is_help=True)
console = Console(soft_wrap=True)

StateOpt = Annotated[Path | None, typer.Option("--state-dir", help="State directory to check. \\[default: ./state]")]


@dataclass
class Report:
    """What a check found: ``problems`` need a repair, ``notes`` are for information."""

    state: StateDir
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    journal: JournalCheck | None = None
    unrepairable: bool = False
    index_stale: bool = False
    unfinished: bool = False

    def to_json(self) -> dict[str, Any]:
        journal = self.journal
        return {
            "stateDir": str(self.state.path),
            "healthy": not self.problems,
            "problems": self.problems,
            "notes": self.notes,
            "repaired": self.repaired,
            "journal": None
            if journal is None
            else {
                "records": journal.kept,
                "bytes": journal.size,
                "faultRecord": journal.fault.record if journal.fault is not None else None,
                "faultOffset": journal.fault.offset if journal.fault is not None else None,
                "tornAt": journal.torn_at,
            },
        }


def _check(state: StateDir) -> Report:
    from registry.ledger.embedded import Journal, JournalCorrupt, check_journal

    report = Report(state)
    if (state.path / ".creating").exists():
        report.unfinished = True
        report.problems.append(
            "a deployment was being made here and did not finish (the command was killed): nothing of it is "
            "used; --repair (or the next --demo or deploy) removes it"
        )
    try:
        deployment = state.deployment()
    except errors.RegistryError as exc:
        report.problems.append(exc.message)
        report.unrepairable = True
        deployment = None
    journal_file = state.path / Journal.FILE_NAME
    head: int | None = None
    if journal_file.exists():
        try:
            check = check_journal(state.path)
        except JournalCorrupt as exc:  # a bad header: no record can be trusted
            report.problems.append(f"{exc.message}; no repair can keep anything (restore a backup)")
            report.unrepairable = True
        else:
            report.journal = check
            head = check.kept
            if check.fault is not None:
                report.problems.append(
                    f"{check.fault.message}; --repair keeps the {check.kept} records before it "
                    f"and drops {check.dropped_bytes:,} bytes"
                )
            elif check.torn_at is not None:
                report.problems.append(
                    f"{journal_file} ends in a torn record at byte {check.torn_at} ({check.dropped_bytes:,} bytes: "
                    "an append cut short by a crash, never acknowledged; or one being written, if a gateway "
                    f"runs); --repair drops it and keeps all {check.kept} records"
                )
            else:
                report.notes.append(f"chain journal: {check.kept} records, {check.size:,} bytes, all replay")
        _note_snapshot(state, report)
    elif deployment is not None and not deployment.rpc_url:
        report.problems.append(f"{journal_file} is missing: the embedded chain of this deployment is gone")
        report.unrepairable = True
    _check_index(state, report, deployment, head)
    return report


def _note_snapshot(state: StateDir, report: Report) -> None:
    from registry.ledger.embedded import SnapshotCorrupt, read_snapshot, snapshot_path

    path = snapshot_path(state.path)
    if not path.exists():
        return
    try:
        snapshot = read_snapshot(path)
    except (SnapshotCorrupt, OSError) as exc:
        report.notes.append(f"chain snapshot ignored at start ({exc}); the journal is replayed instead")
        return
    kept = report.journal.kept if report.journal is not None else 0
    if snapshot.records > kept:
        report.notes.append(f"chain snapshot covers {snapshot.records} records, more than the good journal: ignored")
    else:
        report.notes.append(f"chain snapshot covers {snapshot.records} records")


def _check_index(state: StateDir, report: Report, deployment: Any, head: int | None) -> None:
    path = state.index_file
    if not path.exists():
        report.notes.append("no index yet: it is built from the chain at the next start")
        return
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        finally:
            db.close()
    except sqlite3.Error as exc:
        report.problems.append(f"{path} cannot be read ({exc}); --repair rebuilds it from the chain")
        report.index_stale = True
        return
    last = meta.get("last_block")
    if deployment is not None and str(meta.get("contract", "")).lower() != deployment.contract.lower():
        report.problems.append(f"{path} follows another contract; --repair rebuilds it from the chain")
        report.index_stale = True
    elif head is not None and last is not None and int(last) > head:
        report.problems.append(
            f"{path} is at block {last}, after the last good block {head} of the chain; --repair rebuilds it"
        )
        report.index_stale = True
    else:
        report.notes.append(f"index at block {last if last is not None else '(none)'}")


def _repair(state: StateDir, report: Report) -> None:
    from registry.ledger.embedded import repair_journal
    from registry.ops.deployment import undo_creation

    if report.unfinished:
        marker = state.path / ".creating"
        try:
            keep = frozenset(json.loads(marker.read_text(encoding="utf-8")))
        except (ValueError, TypeError, OSError):
            keep = frozenset()
        undo_creation(state, keep)
        report.repaired.append("removed what the unfinished deployment had made")
        return
    rebuilt_chain = False
    if report.journal is not None and not report.journal.healthy:
        done = repair_journal(state.path, report.journal)
        if done is not None:
            report.repaired.append(
                f"kept {done.kept} records; dropped record {done.first_dropped} and everything after it "
                f"({done.dropped_bytes:,} bytes, kept aside in {done.aside.name}); removed the chain snapshot"
            )
            rebuilt_chain = True
    if rebuilt_chain or report.index_stale:
        report.repaired.append(_rebuild_index(state))


def _rebuild_index(state: StateDir) -> str:
    from registry.index import Index
    from registry.ops.config import Settings
    from registry.ops.deployment import open_chain

    deployment = state.deployment()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{state.index_file}{suffix}").unlink(missing_ok=True)
    if deployment is None:
        return "removed the index (no deployment to rebuild it for)"
    chain = open_chain(Settings(state_dir=state.path, rpc_url=deployment.rpc_url), state)
    try:
        with Index(state.index_file, chain, deployment.contract) as index:
            index.sync()
            stats = index.stats()
            last = index.last_block()
    finally:
        chain.close()
    return f"rebuilt the index from the chain: {stats.filings} filings, up to block {last}"


@app.command("check")
def check_cmd(
    state_dir: StateOpt = None,
    repair: Annotated[
        bool, typer.Option("--repair", help="Keep the journal up to its last good record; rebuild the index.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
) -> None:
    """Replay the chain journal and check the index; name the first bad record (exit 0 sound, 1 not)."""
    from registry.ops.config import Settings

    path = Settings(state_dir=state_dir).state_dir if state_dir is not None else Settings().state_dir
    state = StateDir(path)
    if not state.path.is_dir():
        raise errors.RegistryError(f"{state.path} is not a state directory")
    if repair:
        with writer_lock(state.path, command="prioreg state check --repair"):
            report = _check(state)
            if report.problems and not report.unrepairable:
                _repair(state, report)
                after = _check(state)
                after.repaired = report.repaired
                report = after
    else:
        report = _check(state)
    if as_json:
        print(json.dumps(report.to_json()))
    else:
        for line in report.problems:
            console.print(f"[red]problem:[/] {line}", highlight=False)
        for line in report.repaired:
            console.print(f"[green]repaired:[/] {line}", highlight=False)
        for line in report.notes:
            console.print(f"{line}", highlight=False)
        if not report.problems:
            console.print(f"{state.path}: sound", highlight=False)
    if report.problems:
        raise typer.Exit(1)


def _register_backup() -> None:
    # `state backup` / `state restore` live in registry.cli.backup (registry.ops.backup does the work).
    from registry.cli.backup import register

    register(app)


_register_backup()
