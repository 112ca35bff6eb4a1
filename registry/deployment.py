"""Open a deployment from a state directory: deploy it (demo) or resume it, and load office keys.

What ``prioreg serve`` and the other commands share (API.md): without ``--rpc-url`` the ledger is
the durable embedded chain kept in the state directory; ``--demo`` deploys the registry, admits
the offices and gives each a key and an access-code seed (encrypted at rest, registry.keys); on a
state directory that already holds a deployment, the same contract and data are resumed.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount

from registry import errors
from registry.chain import ANVIL_DEV_KEY, Chain
from registry.client import RegistryClient, deploy
from registry.config import Settings
from registry.index import Index
from registry.keys import KeyStore
from registry.offices import validate_office
from registry.service import RegistryService
from registry.state import Deployment, StateDir

__all__ = ["DEFAULT_DEMO_OFFICES", "DEMO_SCRYPT_N", "OpenDeployment", "open_chain", "open_deployment"]

DEFAULT_DEMO_OFFICES = ("EP", "US", "JP", "CN", "KR", "DE", "GB", "FR", "WO")
# Demo keys are encrypted with a lower scrypt cost so that a demo starts in a second; real keys
# (prioreg keys create) use eth-account's default.
DEMO_SCRYPT_N = 2**14
_DEMO_PASSPHRASE_FILE = "demo-passphrase"  # noqa: S105 - a file name, not a secret


@dataclass
class OpenDeployment:
    """A running deployment: its state directory, record and the service over it."""

    state: StateDir
    deployment: Deployment
    service: RegistryService
    created: bool
    admitted: list[str] = field(default_factory=list)


def open_chain(settings: Settings, state: StateDir) -> Chain:
    """The ledger: an RPC node when ``rpc_url`` is set, else the durable embedded chain in ``state``."""
    if settings.rpc_url:
        funder = settings.funder_key.get_secret_value() if settings.funder_key else None
        return Chain.connect(settings.rpc_url, funder_key=funder)
    return Chain.embedded(state.path)


def _demo_passphrase(settings: Settings, state: StateDir) -> str:
    if settings.key_passphrase is not None:
        return settings.key_passphrase.get_secret_value()
    # Demo only: with no passphrase given, one is made and kept owner-readable beside the keys,
    # so that a demo state directory can be resumed. Real deployments set PRIOREG_KEY_PASSPHRASE.
    path = state.path / _DEMO_PASSPHRASE_FILE
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    value = secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(value + "\n")
    return value


def _passphrase(settings: Settings, state: StateDir, demo: bool) -> str | None:
    if demo or (state.path / _DEMO_PASSPHRASE_FILE).exists():
        return _demo_passphrase(settings, state)
    return settings.key_passphrase.get_secret_value() if settings.key_passphrase else None


def _registrar_key(state: StateDir, passphrase: str, *, create: bool) -> LocalAccount:
    path = state.registrar_key_file
    if create and not path.exists():
        account: LocalAccount = Account.create()
        keyfile = Account.encrypt(account.key, passphrase, kdf="scrypt", iterations=DEMO_SCRYPT_N)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(keyfile, fh)
        return account
    try:
        key = Account.decrypt(json.loads(path.read_text(encoding="utf-8")), passphrase)
    except FileNotFoundError:
        raise errors.KeyNotFound(f"no registrar key in {state.path}") from None
    except ValueError:
        raise errors.WrongPassphrase("the passphrase does not open the registrar key") from None
    loaded: LocalAccount = Account.from_key(key)
    return loaded


def open_deployment(
    settings: Settings, *, demo: bool = False, offices: tuple[str, ...] = DEFAULT_DEMO_OFFICES
) -> OpenDeployment:
    """Resume the deployment in ``settings.state_dir`` or, with ``demo``, create one."""
    state = StateDir(settings.state_dir).ensure()
    chain = open_chain(settings, state)
    if chain.funder is None and chain.kind == "rpc" and demo:
        # A dev node (anvil) funds its first account; a real network needs PRIOREG_FUNDER_KEY.
        chain.funder = Account.from_key(ANVIL_DEV_KEY)
    recorded = state.deployment()
    passphrase = _passphrase(settings, state, demo)
    created = False
    admitted: list[str] = []
    if recorded is not None:
        if (recorded.rpc_url or None) != (settings.rpc_url or None):
            raise errors.RegistryError(
                f"{state.path} belongs to {'the embedded chain' if not recorded.rpc_url else recorded.rpc_url}; "
                "use another --state-dir for another ledger"
            )
        if recorded.chain_id != chain.chain_id:
            raise errors.RegistryError(f"the ledger has chain id {chain.chain_id}, the state dir {recorded.chain_id}")
        deployment = recorded
    elif settings.contract:
        deployment = Deployment(chain.chain_id, settings.contract, "", settings.rpc_url, 0)
        state.save_deployment(deployment)
    elif demo:
        assert passphrase is not None
        registrar_key = _registrar_key(state, passphrase, create=True)
        chain.fund(registrar_key.address)
        registrar = deploy(chain, registrar_key)
        deployment = Deployment(
            chain.chain_id, registrar.address, registrar_key.address, settings.rpc_url, chain.block_number()
        )
        admitted = _admit_demo_offices(chain, registrar, state, passphrase, offices)
        state.save_deployment(deployment)
        created = True
    else:
        raise errors.RegistryError(
            f"no deployment in {state.path}: start with --demo, run `prioreg deploy`, or give --contract"
        )
    # The index is derived data: one written by an older schema is rebuilt from the chain.
    # PRIOREG_CONFIRMATIONS: how far behind the head the index reads (docs/operations.md, finality).
    index = Index(
        state.index_file, chain, deployment.contract, confirmations=settings.confirmations, rebuild_outdated=True
    )
    service = RegistryService(chain, index, deployment.contract)
    if passphrase is not None:
        _load_office_keys(service, state, passphrase)
    return OpenDeployment(state, deployment, service, created, admitted)


def _admit_demo_offices(
    chain: Chain, registrar: RegistryClient, state: StateDir, passphrase: str, offices: tuple[str, ...]
) -> list[str]:
    keys = KeyStore(state.keys_dir, scrypt_n=DEMO_SCRYPT_N)
    seeds = KeyStore(state.seeds_dir, scrypt_n=DEMO_SCRYPT_N)
    admitted = []
    for raw in offices:
        office = validate_office(raw)
        info = keys.create(office, passphrase, overwrite=True)
        seeds.create(office, passphrase, overwrite=True)
        chain.fund(info.address)
        registrar.admit_office(office, info.address)
        admitted.append(office)
    return admitted


def _load_office_keys(service: RegistryService, state: StateDir, passphrase: str) -> None:
    if not state.keys_dir.exists():
        return
    keys = KeyStore(state.keys_dir)
    seeds = KeyStore(state.seeds_dir)
    have_seed = {info.office for info in seeds.list()} if state.seeds_dir.exists() else set()
    for info in keys.list():
        account = keys.load(info.office, passphrase)
        if info.office not in have_seed:
            # Every office that writes gets an access-code seed, so that its imports are idempotent
            # (registry.accesscodes.derive); made once, encrypted like the key.
            seeds.create(info.office, passphrase)
        service.add_office(info.office, account, bytes(seeds.load(info.office, passphrase).key))


def registrar_client(settings: Settings) -> RegistryClient:
    """A client for the registrar of the deployment in ``settings.state_dir``."""
    state = StateDir(settings.state_dir)
    recorded = state.deployment()
    if recorded is None:
        raise errors.RegistryError(f"no deployment in {state.path}")
    passphrase = _passphrase(settings, state, demo=False)
    if passphrase is None:
        raise errors.KeyStoreError("set PRIOREG_KEY_PASSPHRASE to unlock the registrar key")
    chain = open_chain(settings, state)
    return RegistryClient(chain, recorded.contract, _registrar_key(state, passphrase, create=False))


def state_path(value: str | Path) -> Path:
    """A state directory path as given on the command line."""
    return Path(value).expanduser()
