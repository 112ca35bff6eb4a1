"""A laptop consortium: one deployment, one state directory a gateway (docs/api.md, ``network init``).

docs/design.md#one-office-one-gateway, "One office, one gateway": every office runs its own gateway on its own state
directory, holding only its own key. :func:`init_network` sets that model up against one node:

* ``D/registrar/`` — the registrar's key and the deployment (governance runs from here);
* ``D/<OFFICE>/`` — the deployment and that office's key and access-code seed, nothing else;
* ``D/network.json`` — ``{chainId, contract, offices: {CC: {stateDir (absolute), signer}}}``.

Admission goes through the governance (docs/spec/governance.md#delay-and-cancellation): with a delay of 0
``admitOffice`` proposes and executes in one call; with a delay on a dev node (chain id 31337) the node's clock is moved
past it and the proposals are executed, so no one waits; elsewhere they stay pending for
``prioreg governance execute``. The registrar and the offices are funded from
``PRIOREG_FUNDER_KEY`` or, on a dev node, its first account, after checking the funder can pay
for all. Each key's passphrase is kept in its state directory (``demo-passphrase``, as ``serve
--demo`` does) so that gateways start unattended: this is a laptop consortium, not a production
one. ``D`` must not exist; on any failure it is removed entirely.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account import Account

from registry import errors
from registry.domain.offices import validate_office
from registry.ledger.chain import ANVIL_DEV_KEY, DEV_CHAIN_ID, Chain
from registry.ledger.client import deploy
from registry.ops.config import Settings
from registry.ops.deployment import (
    ADMIT_GAS,
    DEMO_OFFICE_GAS,
    DEMO_SCRYPT_N,
    _demo_passphrase,
    _fund_all,
    _registrar_key,
)
from registry.ops.keys import KeyStore
from registry.ops.lock import writer_lock
from registry.ops.state import Deployment, StateDir

__all__ = ["NETWORK_FILE", "NetworkInit", "init_network"]

NETWORK_FILE = "network.json"
REGISTRAR_DIR = "registrar"


@dataclass(frozen=True)
class NetworkInit:
    """What ``network init`` made."""

    directory: Path
    chain_id: int
    contract: str
    registrar: str
    offices: dict[str, dict[str, str]]  # CC → {stateDir, signer}
    governance_delay: int
    pending: list[int]  # admission proposals still waiting for their delay (not a dev node)

    def to_json(self) -> dict[str, Any]:
        """``network.json`` (plus what the command prints)."""
        return {"chainId": self.chain_id, "contract": self.contract, "offices": self.offices}


def init_network(settings: Settings, directory: Path, offices: list[str], *, delay: int | None = None) -> NetworkInit:
    """Deploy, make one state directory an office, admit and fund them; all or nothing."""
    if not settings.rpc_url:
        raise errors.InvalidInput("network init needs --rpc-url: a node every gateway can reach", code="required")
    codes = list(dict.fromkeys(validate_office(o) for o in offices))
    if not codes:
        raise errors.InvalidInput("--offices names no office", code="required")
    if REGISTRAR_DIR.upper() in codes:  # pragma: no cover - an ST.3 code has two letters
        raise errors.InvalidInput("an office cannot be called registrar", code="notAllowedValue")
    root = directory.expanduser().absolute()
    if root.exists() or root.is_symlink():
        raise errors.RegistryError(f"{root} exists: network init builds a new directory; remove it or pick another")
    root.parent.mkdir(parents=True, exist_ok=True)
    root.mkdir(mode=0o700)
    try:
        return _init(settings, root, codes, delay)
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)  # nothing left behind (docs/api.md)
        raise


def _init(settings: Settings, root: Path, codes: Sequence[str], delay: int | None) -> NetworkInit:
    assert settings.rpc_url is not None
    funder_key = settings.funder_key.get_secret_value() if settings.funder_key else None
    chain = Chain.connect(settings.rpc_url, funder_key=funder_key)
    try:
        if chain.funder is None:
            if chain.chain_id != DEV_CHAIN_ID:
                raise errors.LedgerError(
                    f"chain id {chain.chain_id} is not a dev node: set PRIOREG_FUNDER_KEY to a funded key"
                )
            chain.funder = Account.from_key(ANVIL_DEV_KEY)  # anvil's first account, funded by the node
        # Each directory's own passphrase (no PRIOREG_KEY_PASSPHRASE: every gateway has its own file).
        own = settings.model_copy(update={"key_passphrase": None})
        registrar_state = StateDir(root / REGISTRAR_DIR).ensure()
        with writer_lock(registrar_state.path, command="prioreg network init"):
            registrar_key = _registrar_key(registrar_state, _demo_passphrase(own, registrar_state), create=True)
        signers: dict[str, str] = {}
        for office in codes:
            state = StateDir(root / office).ensure()
            with writer_lock(state.path, command="prioreg network init"):
                passphrase = _demo_passphrase(own, state)
                signers[office] = KeyStore(state.keys_dir, scrypt_n=DEMO_SCRYPT_N).create(office, passphrase).address
                KeyStore(state.seeds_dir, scrypt_n=DEMO_SCRYPT_N).create(office, passphrase)
        price = 2 * chain.gas_price()
        deploy_gas = chain.estimate_gas(chain.funder, None, chain.deployment_data(registrar_key.address, delay))
        block_gas = chain.block_gas_limit()
        targets: dict[str, int] = {
            str(registrar_key.address): price * (block_gas + 2 * deploy_gas + 2 * len(codes) * ADMIT_GAS)
        }
        targets.update({address: price * DEMO_OFFICE_GAS for address in signers.values()})
        _fund_all(chain, targets, price)
        registrar = deploy(chain, registrar_key, delay=delay)
        deployment = Deployment(
            chain.chain_id, registrar.address, registrar_key.address, settings.rpc_url, chain.block_number()
        )
        first = registrar.proposal_count() + 1
        for office in codes:
            registrar.admit_office(office, signers[office])
        governance_delay = registrar.governance_delay()
        proposals = list(range(first, registrar.proposal_count() + 1))
        pending = [p for p in proposals if registrar.proposal(p)["state"] == 1]
        if pending and chain.chain_id == DEV_CHAIN_ID:
            chain.advance_time(governance_delay + 1)  # a dev node: no one waits for the delay
            for proposal_id in pending:
                registrar.execute_proposal(proposal_id)
            pending = []
        for name in (REGISTRAR_DIR, *codes):
            StateDir(root / name).save_deployment(deployment)
    finally:
        chain.close()
    offices = {office: {"stateDir": str(root / office), "signer": signers[office]} for office in codes}
    made = NetworkInit(
        root, deployment.chain_id, deployment.contract, deployment.registrar, offices, governance_delay, pending
    )
    fd = os.open(root / NETWORK_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(made.to_json(), fh, indent=2)
        fh.write("\n")
    return made
