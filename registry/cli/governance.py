"""``prioreg governance pending | execute ID | cancel ID``: the registrar's proposals
(docs/spec/governance.md#delay-and-cancellation).

What touches an office (admitting, suspending, reinstating it, rotating its key) is a proposal of
the registrar that runs only after the governance delay fixed at deployment, and that a majority
of the offices active when it was made (the target excluded) can cancel; a key rotation also
needs the office's signed consent or a majority's approval. These commands show the queue, run a
proposal whose delay has passed (the registrar), and cancel one: the registrar withdraws its own,
an office (``--office CC``, its key from the state directory) casts its vote to cancel — or, with
``approve``, its vote for a key rotation.

Writes take the state directory's writer lock; ``pending`` only reads (the embedded chain is
replayed without writing). Errors print one line and exit with status 2 (3 when the ledger is
unreachable), like every command.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from registry import errors
from registry.domain.offices import validate_office
from registry.ops.lock import writer_lock
from registry.ops.state import StateDir

# The client (web3), settings (pydantic) and keys (eth-account) load inside the commands, so that
# `prioreg --help` starts in well under half a second (issue 14).
if TYPE_CHECKING:
    from registry.ledger.client import RegistryClient
    from registry.ops.config import Settings

__all__ = ["register"]

console = Console()

# The contract's enums (IPriorityRegistry.Action / ProposalState), by value.
ACTIONS = ("none", "admit", "suspend", "reinstate", "rotateKey")
STATES = ("none", "pending", "executed", "cancelled")

StateOpt = Annotated[
    Path | None, typer.Option("--state-dir", help="State directory (keys, index, embedded chain). \\[default: ./state]")
]
RpcOpt = Annotated[
    str | None, typer.Option("--rpc-url", help="A JSON-RPC node (anvil, geth, Besu). Default: the embedded chain.")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]
VoterOpt = Annotated[
    str | None,
    typer.Option("--office", help="Vote as this office (its key in the state dir) instead of acting as the registrar."),
]
IdArg = Annotated[int, typer.Argument(metavar="ID", min=1, help="The proposal id (see `governance pending`).")]

app = typer.Typer(
    help="The registrar's proposals: list, run after the delay, cancel "
    "(docs/spec/governance.md#delay-and-cancellation).",
    no_args_is_help=True,
)


def _settings(state_dir: Path | None, rpc_url: str | None) -> Settings:
    from registry.ops.config import Settings

    values: dict[str, Any] = {}
    if state_dir is not None:
        values["state_dir"] = state_dir
    if rpc_url is not None:
        values["rpc_url"] = rpc_url
    return Settings(**values)


def _passphrase(settings: Settings, whose: str) -> Settings:
    from registry.ops.keys import passphrase_from_env_or_prompt

    if settings.key_passphrase is None and not (StateDir(settings.state_dir).path / "demo-passphrase").exists():
        return settings.model_copy(update={"key_passphrase": passphrase_from_env_or_prompt(whose)})
    return settings


def _client(state_dir: Path | None, rpc_url: str | None, office: str | None) -> RegistryClient:
    """The registrar's client, or (``office``) one signing with that office's key."""
    from registry.ops.deployment import registrar_client
    from registry.ops.keys import KeyStore

    settings = _passphrase(_settings(state_dir, rpc_url), office or "registrar")
    registrar = registrar_client(settings)
    if office is None:
        return registrar
    code = validate_office(office)
    assert settings.key_passphrase is not None
    key = KeyStore(StateDir(settings.state_dir).keys_dir).load(code, settings.key_passphrase.get_secret_value())
    return registrar.for_account(key)


def _reader(state_dir: Path | None, rpc_url: str | None) -> RegistryClient:
    """A read-only client (no key unlocked): the queue is public."""
    settings = _settings(state_dir, rpc_url)
    state = StateDir(settings.state_dir)
    recorded = state.deployment()
    if recorded is None:
        raise errors.RegistryError(f"no deployment in {state.path}")
    from eth_account import Account

    from registry.ledger.client import RegistryClient
    from registry.ops.deployment import open_chain

    return RegistryClient(open_chain(settings, state, read_only=True), recorded.contract, Account.create())


def proposal_json(client: RegistryClient, proposal_id: int, now: int) -> dict[str, Any]:
    """One proposal as the CLI shows it: what, on whom, when it may run, and the votes."""
    p = client.proposal(proposal_id)
    eta = int(p["eta"])
    return {
        "id": proposal_id,
        "action": ACTIONS[int(p["action"])],
        "state": STATES[int(p["state"])],
        "ipOfficeCode": p["office"],
        "signer": None if int(p["signer"], 16) == 0 else p["signer"],
        "eta": dt.datetime.fromtimestamp(eta, dt.UTC).isoformat(),
        "consented": bool(p["consented"]),
        "electorate": int(p["electorate"]),
        "cancelVotes": int(p["cancelVotes"]),
        "approveVotes": int(p["approveVotes"]),
        # What `execute` needs: the delay passed and, for a key rotation, consent or a majority.
        "ready": bool(p["consented"]) and now >= eta,
    }


def pending_cmd(state_dir: StateOpt = None, rpc_url: RpcOpt = None, as_json: JsonOpt = False) -> None:
    """List the pending proposals: what each does, when it may run, and its votes."""
    client = _reader(state_dir, rpc_url)
    try:
        now = client.chain.block_timestamp(client.chain.block_number()) or 0
        rows = [proposal_json(client, i, now) for i in range(1, client.proposal_count() + 1)]
        delay = client.governance_delay()
    finally:
        client.chain.close()
    pending = [r for r in rows if r["state"] == "pending"]
    if as_json:
        print(json.dumps({"governanceDelay": delay, "pending": pending}))
        return
    table = Table(title=f"pending proposals (delay {delay} s)")
    for column in ("id", "action", "office", "signer", "eta", "votes to cancel", "approvals", "ready"):
        table.add_column(column)
    for r in pending:
        votes = f"{r['cancelVotes']} of {r['electorate']}"
        approvals = "consented" if r["consented"] else f"{r['approveVotes']} of {r['electorate']}"
        table.add_row(
            str(r["id"]), r["action"], r["ipOfficeCode"], r["signer"] or "", r["eta"], votes, approvals, str(r["ready"])
        )
    console.print(table)


def _send(fn: str, proposal_id: int, state_dir: Path | None, rpc_url: str | None, office: str | None) -> dict[str, Any]:
    # A write: one writer per state directory (registry/ops/lock.py), like every command that writes.
    settings = _settings(state_dir, rpc_url)
    with writer_lock(settings.state_dir, command=f"prioreg governance {fn.split('_')[0]}"):
        return _sent(fn, proposal_id, state_dir, rpc_url, office)


def _sent(fn: str, proposal_id: int, state_dir: Path | None, rpc_url: str | None, office: str | None) -> dict[str, Any]:
    client = _client(state_dir, rpc_url, office)
    try:
        if proposal_id > client.proposal_count():
            raise errors.InvalidInput(f"there is no proposal {proposal_id}", code="unknownProposal")
        sent = getattr(client, fn)(proposal_id)
        now = client.chain.block_timestamp(client.chain.block_number()) or 0
        after = proposal_json(client, proposal_id, now)
    finally:
        client.chain.close()
    after["transactionHash"] = sent.transaction_hash
    return after


def execute_cmd(
    proposal_id: IdArg, state_dir: StateOpt = None, rpc_url: RpcOpt = None, as_json: JsonOpt = False
) -> None:
    """Run a pending proposal whose delay has passed (the registrar)."""
    _show(_send("execute_proposal", proposal_id, state_dir, rpc_url, None), as_json)


def cancel_cmd(
    proposal_id: IdArg,
    office: VoterOpt = None,
    state_dir: StateOpt = None,
    rpc_url: RpcOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Cancel a pending proposal: the registrar withdraws it, an office (--office) votes to cancel."""
    _show(_send("cancel_proposal", proposal_id, state_dir, rpc_url, office), as_json)


def approve_cmd(
    proposal_id: IdArg,
    office: Annotated[str, typer.Option("--office", help="The approving office (its key in the state dir).")],
    state_dir: StateOpt = None,
    rpc_url: RpcOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Approve the registrar's rotation of another office's key (a majority lets it run)."""
    _show(_send("approve_proposal", proposal_id, state_dir, rpc_url, office), as_json)


def _show(payload: Any, as_json: bool) -> None:
    if as_json:
        print(json.dumps(payload))
        return
    for key, value in payload.items():
        console.print(f"{key:>16}: {value}", highlight=False)


def register(parent: typer.Typer, friendly: Any) -> None:
    """Mount ``governance`` under the main ``prioreg`` app."""
    for name, fn in (
        ("pending", pending_cmd),
        ("execute", execute_cmd),
        ("cancel", cancel_cmd),
        ("approve", approve_cmd),
    ):
        app.command(name)(friendly(fn))
    parent.add_typer(app, name="governance")
