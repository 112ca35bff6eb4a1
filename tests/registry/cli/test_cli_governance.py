"""``prioreg governance pending | execute ID | cancel ID`` on anvil with a real delay
(docs/spec/governance.md#delay-and-cancellation).

A deployment with ``--delay 3600``: admitting an office is a pending proposal that cannot run
before the hour has passed on the node's clock (moved with ``evm_increaseTime``); once run, the
office is in the directory. A suspension is cancelled by a majority of the other active offices
voting with their own keys (``cancel ID --office CC``), and then never runs. Errors are one line.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from registry.cli import app
from registry.ledger.chain import ANVIL_DEV_KEY
from tests.support.anvil import rpc, running_anvil

pytestmark = pytest.mark.anvil

runner = CliRunner()
ENV = {"PRIOREG_KEY_PASSPHRASE": "governance-test", "PRIOREG_FUNDER_KEY": ANVIL_DEV_KEY}
DELAY = 3600


@pytest.fixture
def node() -> Iterator[str]:
    with running_anvil() as url:
        yield url


def prioreg(*args: str, code: int = 0) -> str:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("PRIOREG_")}, **ENV}
    result = runner.invoke(app, list(args), env=env)
    assert result.exit_code == code, result.output
    return result.output


def _later(url: str, seconds: int) -> None:
    rpc(url, "evm_increaseTime", [seconds])
    rpc(url, "evm_mine", [])


def test_proposals_wait_for_the_delay_and_a_majority_of_offices_cancels_one(node: str, tmp_path: Path) -> None:
    state = str(tmp_path / "state")
    at = ("--state-dir", state, "--rpc-url", node)
    deployed = json.loads(prioreg("deploy", *at, "--delay", str(DELAY), "--json"))
    assert deployed["governanceDelay"] == DELAY
    for office in ("EP", "US", "JP"):
        prioreg("keys", "create", office, "--dir", str(tmp_path / "state" / "keys"), "--scrypt-n", "16")
        prioreg("admit", office, *at, "--json")
    pending = json.loads(prioreg("governance", "pending", *at, "--json"))
    assert pending["governanceDelay"] == DELAY
    assert [(p["id"], p["action"], p["ipOfficeCode"], p["ready"]) for p in pending["pending"]] == [
        (1, "admit", "EP", False),
        (2, "admit", "US", False),
        (3, "admit", "JP", False),
    ]
    # Too early: refused with one line, nothing changes.
    early = prioreg("governance", "execute", "1", *at, code=2)
    assert "Traceback" not in early and "ProposalNotReady" in early
    _later(node, DELAY)
    assert all(p["ready"] for p in json.loads(prioreg("governance", "pending", *at, "--json"))["pending"])
    for proposal in ("1", "2", "3"):
        done = json.loads(prioreg("governance", "execute", proposal, *at, "--json"))
        assert done["state"] == "executed"
    assert json.loads(prioreg("governance", "pending", *at, "--json"))["pending"] == []

    # The registrar proposes suspending EP; US and JP (a majority of the two others) cancel it.
    prioreg("admit", "FR", "--signer", "0x" + "12" * 20, *at)  # proposal 4, left pending
    from registry.cli.ledger import _settings  # the same settings the commands use
    from registry.ops.deployment import registrar_client

    client = registrar_client(_settings(Path(state), node, key_passphrase=ENV["PRIOREG_KEY_PASSPHRASE"]))
    client.suspend_office("EP")  # proposal 5
    client.chain.close()
    first = json.loads(prioreg("governance", "cancel", "5", "--office", "US", *at, "--json"))
    assert (first["state"], first["cancelVotes"], first["electorate"]) == ("pending", 1, 2)
    again = prioreg("governance", "cancel", "5", "--office", "US", *at, code=2)
    assert "InvalidVote" in again
    second = json.loads(prioreg("governance", "cancel", "5", "--office", "JP", *at, "--json"))
    assert second["state"] == "cancelled"
    _later(node, DELAY)
    refused = prioreg("governance", "execute", "5", *at, code=2)
    assert "ProposalNotPending" in refused
    # The registrar withdraws its own proposal 4.
    withdrawn = json.loads(prioreg("governance", "cancel", "4", *at, "--json"))
    assert withdrawn["state"] == "cancelled"
    assert json.loads(prioreg("governance", "pending", *at, "--json"))["pending"] == []
    unknown = prioreg("governance", "execute", "99", *at, code=2)
    assert "no proposal 99" in unknown
