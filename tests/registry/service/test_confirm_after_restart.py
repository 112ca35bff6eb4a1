"""docs/spec/entries.md#claim-tokens-and-confirmed-links: the earlier office's gateway confirms genuine claims on its
next sync step — also after it was restarted, because it keeps its own numbers (and office-chosen codes) encrypted at
rest (registry/service/own_numbers.py) and derives the others again from its seed.

JP's gateway anchors two applications (one with a code JP chose, one with a derived code) and
stops. While no gateway runs, US writes claims on both straight to the ledger with the genuine
tokens, and one with a made-up token. A new JP gateway over the same state directory confirms the
two genuine links on its first sync step and never the made-up one.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from eth_utils.crypto import keccak
from typer.testing import CliRunner

from registry.cli import app
from registry.domain.accesscodes import generate
from registry.domain.commitments import claim_token
from registry.domain.entries import ClaimRef, Entry
from registry.domain.filings import FilingInput
from registry.domain.types import IpRightKind
from registry.ledger.chain import Chain
from registry.ledger.client import RegistryClient
from registry.ops.config import Settings
from registry.ops.deployment import open_deployment
from registry.ops.keys import KeyStore

PASSPHRASE = "restart-test-passphrase"
runner = CliRunner()


def _prioreg(*args: str) -> None:
    result = runner.invoke(app, list(args), env={"PRIOREG_KEY_PASSPHRASE": PASSPHRASE})
    assert result.exit_code == 0, result.output


@pytest.fixture
def state(tmp_path: Path) -> Path:
    path = tmp_path / "state"
    _prioreg("deploy", "--state-dir", str(path), "--json")
    for office in ("JP", "US"):
        _prioreg("keys", "create", office, "--dir", str(path / "keys"), "--scrypt-n", "16")
        _prioreg("admit", office, "--state-dir", str(path), "--json")
    return path


def _settings(state: Path) -> Settings:
    return Settings(state_dir=state, key_passphrase=PASSPHRASE)  # type: ignore[arg-type]


def test_a_restarted_gateway_confirms_the_genuine_claims_made_while_it_was_down(state: Path) -> None:
    chosen = str(generate())
    first = open_deployment(_settings(state))
    try:
        outcomes = [
            first.service.anchor(
                "JP", FilingInput("2024-050001", dt.date(2024, 2, 1), IpRightKind.PATENT, None, chosen)
            ),
            first.service.anchor("JP", FilingInput("2024-050002", dt.date(2024, 2, 2), IpRightKind.PATENT)),
        ]
        first.service.sync()
    finally:
        first.service.index.close()
        first.service.chain.close()
    earlier = [(o.prepared.commitment, o.prepared.access_code.secret) for o in outcomes]

    # No gateway runs: US's key writes its claims straight to the ledger.
    chain = Chain.embedded(state)
    contract = first.deployment.contract
    us = RegistryClient(chain, contract, KeyStore(state / "keys").load("US", PASSPHRASE))
    later = {label: keccak(text=label) for label in ("genuine-1", "genuine-2", "made-up")}
    for (commitment, secret), label, day in zip(earlier, ("genuine-1", "genuine-2"), (1, 2), strict=True):
        token = claim_token("US", later[label], secret)
        claim = ClaimRef(commitment, dt.date(2024, 2, day), "JP", token)
        us.anchor_filing(Entry(later[label], IpRightKind.PATENT, dt.date(2024, 8, 1), claims=(claim,)))
    bogus = ClaimRef(earlier[0][0], dt.date(2024, 2, 1), "JP", b"\x42" * 16)
    us.anchor_filing(Entry(later["made-up"], IpRightKind.PATENT, dt.date(2024, 8, 2), claims=(bogus,)))
    chain.close()

    again = open_deployment(_settings(state))
    try:
        index = again.service.index
        index.sync()
        assert not any(c.confirmed for label in later for c in index.claims_of("US", later[label]))
        again.service.sync()  # the restarted gateway's first sync step
        confirmed = {label: [c.confirmed for c in index.claims_of("US", later[label])] for label in later}
        assert confirmed == {"genuine-1": [True], "genuine-2": [True], "made-up": [False]}
        again.service.sync()
        assert [c.confirmed for c in index.claims_of("US", later["made-up"])] == [False]
    finally:
        again.service.index.close()
        again.service.chain.close()
