"""Open a deployment from a state directory: deploy it (demo) or resume it, and load office keys.

What ``prioreg serve`` and the other commands share (docs/api.md#command-line): without ``--rpc-url`` the ledger is
the durable embedded chain kept in the state directory; ``--demo`` deploys the registry, admits
the offices and gives each a key and an access-code seed (encrypted at rest, registry.ops.keys); on a
state directory that already holds a deployment, the same contract and data are resumed.

Issue 12, item 5: a demo funds what it needs — computed from gas (:data:`DEMO_OFFICE_GAS`, the
deployment's estimate, :data:`ADMIT_GAS`) at twice the node's gas price, checked against the
funder's balance before anything is sent — and creating a state directory is all or nothing
(:func:`begin_creation` / :func:`undo_creation`). Writers hold the directory's lock
(registry.ops.lock); ``read_only`` opens it for the commands that only read.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount

from registry import errors
from registry.domain.offices import validate_office
from registry.index import Index
from registry.ledger.chain import ANVIL_DEV_KEY, TX_GAS_CAP, Chain
from registry.ledger.client import RegistryClient, deploy
from registry.ledger.transports.worker import WorkerTransport
from registry.ops.config import Settings
from registry.ops.keys import KeyStore
from registry.ops.state import Deployment, StateDir
from registry.service import RegistryService

__all__ = [
    "DEFAULT_DEMO_OFFICES",
    "DEMO_SCRYPT_N",
    "OpenDeployment",
    "begin_creation",
    "open_chain",
    "open_deployment",
    "open_worker",
    "resolve_node",
    "undo_creation",
]

DEFAULT_DEMO_OFFICES = ("EP", "US", "JP", "CN", "KR", "DE", "GB", "FR", "WO")
# Demo keys are encrypted with a lower scrypt cost so that a demo starts in a second; real keys
# (prioreg keys create) use eth-account's default.
DEMO_SCRYPT_N = 2**14
_DEMO_PASSPHRASE_FILE = "demo-passphrase"  # noqa: S105 - a file name, not a secret
#: Where each office's own numbers are kept encrypted, for confirming claims (registry.service.own_numbers).
NUMBERS_DIR = "numbers"


@dataclass
class OpenDeployment:
    """A running deployment: its state directory, record and the service over it."""

    state: StateDir
    deployment: Deployment
    service: RegistryService
    created: bool
    admitted: list[str] = field(default_factory=list)


def open_chain(settings: Settings, state: StateDir, *, read_only: bool = False) -> Chain:
    """The ledger: an RPC node when ``rpc_url`` is set, else the durable embedded chain in ``state``.

    ``read_only`` rebuilds the embedded chain without writing ``state`` (and refuses sends).
    """
    if settings.rpc_url:
        funder = settings.funder_key.get_secret_value() if settings.funder_key else None
        return Chain.connect(settings.rpc_url, funder_key=funder)
    return Chain.embedded(state.path, read_only=read_only)


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
    kept = state.path / _DEMO_PASSPHRASE_FILE
    if kept.exists():
        # The keys here were encrypted with the kept passphrase (it is made only when none was
        # given): a PRIOREG_KEY_PASSPHRASE meant for another directory must not shadow it.
        return kept.read_text(encoding="utf-8").strip()
    if demo:
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
    settings: Settings,
    *,
    demo: bool = False,
    offices: tuple[str, ...] = DEFAULT_DEMO_OFFICES,
    read_only: bool = False,
) -> OpenDeployment:
    """Resume the deployment in ``settings.state_dir`` or, with ``demo``, create one.

    The caller holds the state directory's writer lock (registry.ops.lock), except with
    ``read_only``: then nothing in the directory is written — the chain is rebuilt without
    touching its journal, the index is a copy in memory (:meth:`Index.in_memory_copy`), no office
    key is loaded and nothing can be sent.

    Creating a demo deployment is all-or-nothing: a failure at any step removes everything it
    wrote, and one killed half-way (marked by ``.creating``) is cleared by the next ``--demo``.
    """
    state = StateDir(settings.state_dir)
    settings = resolve_node(settings)
    if read_only:
        return _open_read_only(settings, state)
    state.ensure()
    recorded = state.deployment()
    if recorded is None and not demo and not settings.contract:
        # Before the chain is opened: opening it writes its journal, and a directory left holding one
        # refused the `--demo` this very message advises.
        raise _no_deployment(state)
    creating = demo and recorded is None and not settings.contract
    before = begin_creation(state, empty=True) if creating else frozenset()
    chain: Chain | None = None
    try:
        chain = open_chain(settings, state)
        opened = _open_or_create(settings, state, chain, recorded, demo=demo, offices=offices)
    except BaseException:
        if chain is not None:
            chain.close()
        if creating:
            undo_creation(state, before)
        raise
    return opened


def _open_or_create(
    settings: Settings,
    state: StateDir,
    chain: Chain,
    recorded: Deployment | None,
    *,
    demo: bool,
    offices: tuple[str, ...],
) -> OpenDeployment:
    if chain.funder is None and chain.kind == "rpc" and demo:
        # A dev node (anvil) funds its first account; a real network needs PRIOREG_FUNDER_KEY.
        chain.funder = Account.from_key(ANVIL_DEV_KEY)
    passphrase = _passphrase(settings, state, demo)
    created = False
    admitted: list[str] = []
    if recorded is not None:
        _check_same_ledger(state, recorded, settings, chain)
        deployment = recorded
    elif settings.contract:
        deployment = Deployment(chain.chain_id, settings.contract, "", settings.rpc_url, 0)
        state.save_deployment(deployment)
    elif demo:
        assert passphrase is not None
        deployment, admitted = _create_demo(settings, state, chain, passphrase, offices)
        created = True
    else:
        raise _no_deployment(state)
    # The index is derived data: one written by an older schema is rebuilt from the chain.
    # PRIOREG_CONFIRMATIONS: how far behind the head the index reads (docs/operations.md, finality).
    index = Index(
        state.index_file, chain, deployment.contract, confirmations=settings.confirmations, rebuild_outdated=True
    )
    service = RegistryService(chain, index, deployment.contract)
    if passphrase is not None:
        _load_office_keys(service, state, passphrase)
    return OpenDeployment(state, deployment, service, created, admitted)


def _no_deployment(state: StateDir) -> errors.RegistryError:
    return errors.RegistryError(
        f"no deployment in {state.path}: start with --demo, run `prioreg deploy`, or give --contract"
    )


def resolve_node(settings: Settings) -> Settings:
    """The node a state directory's deployment was made on, unless ``--rpc-url`` names another.

    A state directory made on a node (``prioreg network init``, ``deploy --rpc-url``) records its
    URL: its commands and its gateway need no ``--rpc-url``. One given anyway is accepted when it
    reaches the same chain and contract (:func:`_check_same_ledger`).
    """
    if settings.rpc_url:
        return settings
    try:
        recorded = StateDir(settings.state_dir).deployment()
    except errors.RegistryError:
        return settings  # reported, with its path, where the deployment is read
    if recorded is None or not recorded.rpc_url:
        return settings
    return settings.model_copy(update={"rpc_url": recorded.rpc_url})


def _check_same_ledger(state: StateDir, recorded: Deployment, settings: Settings, chain: Chain) -> None:
    if bool(recorded.rpc_url) != bool(settings.rpc_url):
        raise errors.RegistryError(
            f"{state.path} belongs to {'the embedded chain' if not recorded.rpc_url else recorded.rpc_url}; "
            "use another --state-dir for another ledger"
        )
    if recorded.chain_id != chain.chain_id:
        raise errors.RegistryError(
            f"{settings.rpc_url or 'the ledger'} has chain id {chain.chain_id}, but {state.path} belongs to chain id "
            f"{recorded.chain_id}; give a node of that chain or use another --state-dir"
        )
    if settings.contract and settings.contract.lower() != recorded.contract.lower():
        raise errors.RegistryError(
            f"--contract {settings.contract} is not the registry of {state.path} ({recorded.contract})"
        )
    if recorded.rpc_url and settings.rpc_url != recorded.rpc_url:
        # Another URL for the same node (a tunnel, another host name): it must hold the contract.
        code = chain.code_at(recorded.contract)
        if not code:
            raise errors.RegistryError(
                f"{settings.rpc_url} holds no contract at {recorded.contract}, the registry of {state.path}; "
                "give a node of the same chain"
            )


def _open_read_only(settings: Settings, state: StateDir) -> OpenDeployment:
    recorded = state.deployment()
    if recorded is None:
        raise errors.RegistryError(f"no deployment in {state.path}: nothing to read")
    chain = open_chain(settings, state, read_only=True)
    try:
        _check_same_ledger(state, recorded, settings, chain)
        index = Index.in_memory_copy(state.index_file, chain, recorded.contract)
    except BaseException:
        chain.close()
        raise
    return OpenDeployment(state, recorded, RegistryService(chain, index, recorded.contract), False)


def open_worker(settings: Settings) -> OpenDeployment:
    """The deployment as a read worker of ``prioreg serve --workers N`` sees it (issue 18).

    The owner process holds the writer lock (shared with its workers), the chain and the office
    keys, and follows the chain into the index; a worker only reads that index file (SQLite's WAL
    gives each read a consistent snapshot while the owner writes). On a node it reads the node
    directly; on the embedded chain, which lives in the owner's memory, it knows the chain id and
    the indexed head, and hands everything else to the owner
    (:class:`~registry.ledger.transports.worker.WorkerTransport`). No key is loaded: it writes nothing.
    """
    state = StateDir(settings.state_dir)
    settings = resolve_node(settings)
    recorded = state.deployment()
    if recorded is None:
        raise errors.RegistryError(f"no deployment in {state.path}: the owner process makes or opens it first")
    heads: list[Callable[[], int | None]] = []
    if settings.rpc_url:
        chain = open_chain(settings, state, read_only=True)
    else:
        chain = Chain(WorkerTransport(recorded.chain_id, lambda: heads[0]() if heads else None))
    try:
        _check_same_ledger(state, recorded, settings, chain)
        index = Index(state.index_file, chain, recorded.contract, read_only=True)
    except BaseException:
        chain.close()
        raise
    heads.append(index.last_block)
    return OpenDeployment(state, recorded, RegistryService(chain, index, recorded.contract), False)


# ── creating a demo deployment: all or nothing ──────────────────────────────────────────

_CREATING = ".creating"  # present while a deployment is being made; save_deployment removes it


def begin_creation(state: StateDir, *, empty: bool) -> frozenset[str]:
    """Mark ``state`` as being made into a deployment; return the entries that were there before.

    The caller holds the writer lock. A creation that was killed half-way (its marker is still
    there and, the lock says, nobody is running it) acknowledged nothing: what it made is removed
    first. ``empty`` refuses a directory that holds anything (``--demo`` makes its own keys).
    The marker lists what was there before, so a later cleanup keeps exactly that.
    """
    from registry.ops.lock import LOCK_FILE_NAME

    marker = state.path / _CREATING
    if marker.exists():
        try:
            kept = frozenset(json.loads(marker.read_text(encoding="utf-8")))
        except (ValueError, TypeError, OSError):
            kept = frozenset()
        undo_creation(state, kept)
    before = frozenset(p.name for p in state.path.iterdir()) - {LOCK_FILE_NAME}
    if empty and before:
        shown = ", ".join(sorted(before)[:5])
        raise errors.RegistryError(
            f"{state.path} holds files but no deployment ({shown}): --demo builds only in an empty or new "
            "directory; remove them or use another --state-dir"
        )
    with marker.open("w", encoding="utf-8") as fh:
        json.dump(sorted(before), fh)
        fh.flush()
        os.fsync(fh.fileno())
    return before


def undo_creation(state: StateDir, keep: frozenset[str]) -> None:
    """Remove everything in ``state`` but ``keep`` and the writer lock (which this process holds)."""
    from registry.ops.lock import LOCK_FILE_NAME

    for entry in state.path.iterdir():
        if entry.name == LOCK_FILE_NAME or entry.name in keep:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink(missing_ok=True)


#: Gas a demo office is given: 1,000 transactions at the per-transaction cap (16.8 G gas, some
#: ten million batched filings at ~1.3 k gas each), at twice the node's gas price when funded.
DEMO_OFFICE_GAS = 1_000 * TX_GAS_CAP
#: Gas for one ``admitOffice`` (71 k measured; the bound leaves room for a longer directory entry).
ADMIT_GAS = 300_000
_TRANSFER_GAS = 21_000


def _create_demo(
    settings: Settings, state: StateDir, chain: Chain, passphrase: str, offices: tuple[str, ...]
) -> tuple[Deployment, list[str]]:
    """Deploy, make every office's key and seed, fund what is needed (checked first), admit them."""
    codes: list[str] = list(dict.fromkeys(validate_office(raw) for raw in offices))
    registrar_key = _registrar_key(state, passphrase, create=True)
    keys = KeyStore(state.keys_dir, scrypt_n=DEMO_SCRYPT_N)
    seeds = KeyStore(state.seeds_dir, scrypt_n=DEMO_SCRYPT_N)
    signers: dict[str, str] = {}
    for office in codes:
        signers[office] = keys.create(office, passphrase, overwrite=True).address
        seeds.create(office, passphrase, overwrite=True)
    price = 2 * chain.gas_price()
    assert chain.funder is not None
    deploy_gas = chain.estimate_gas(chain.funder, None, chain.deployment_data(registrar_key.address))
    # Some nodes (eth-tester) want the sender to afford a whole block's gas just to estimate a call.
    block_gas = chain.block_gas_limit()
    registrar_gas = block_gas + 2 * deploy_gas + len(codes) * ADMIT_GAS
    targets: dict[str, int] = {registrar_key.address: price * registrar_gas}
    targets.update({address: price * DEMO_OFFICE_GAS for address in signers.values()})
    _fund_all(chain, targets, price)
    registrar = deploy(chain, registrar_key)
    deployment = Deployment(
        chain.chain_id, registrar.address, registrar_key.address, settings.rpc_url, chain.block_number()
    )
    for office in codes:
        registrar.admit_office(office, signers[office])
    state.save_deployment(deployment)
    return deployment, codes


def _fund_all(chain: Chain, targets: dict[str, int], price: int) -> None:
    """Top every address up to its target (when below half of it), after checking the funder can pay for all."""
    assert chain.funder is not None
    funder = chain.funder.address
    balances = {a: _balance(chain, a) for a in targets}
    sends = {a: t for a, t in targets.items() if t > 0 and balances[a] < t // 2}
    need = sum(sends.values()) + len(sends) * _TRANSFER_GAS * price
    have = _balance(chain, funder)
    if have < need:
        offices = len(targets) - 1
        each = max(targets.values())
        raise errors.LedgerError(
            f"the funder {funder} holds {_eth(have)} ETH; the registrar and {offices} offices need {_eth(need)} ETH "
            f"(up to {_eth(each)} ETH each, gas for {DEMO_OFFICE_GAS // TX_GAS_CAP:,} full transactions at "
            f"{price / 1e9:g} gwei): {_eth(need - have)} ETH missing — fund {funder}, or set PRIOREG_FUNDER_KEY "
            "to a funded key, or admit fewer offices"
        )
    for address, wei in sends.items():
        chain.send(chain.funder, to=address, value=wei, gas=_TRANSFER_GAS)


def _balance(chain: Chain, address: str) -> int:
    return chain.balance(address)


def _eth(wei: int) -> str:
    return f"{wei / 10**18:,.4f}".rstrip("0").rstrip(".")


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
            # (registry.domain.accesscodes.derive); made once, encrypted like the key.
            seeds.create(info.office, passphrase)
        service.add_office(
            info.office,
            account,
            bytes(seeds.load(info.office, passphrase).key),
            numbers_dir=state.path / NUMBERS_DIR,
        )


def registrar_client(settings: Settings) -> RegistryClient:
    """A client for the registrar of the deployment in ``settings.state_dir``."""
    state = StateDir(settings.state_dir)
    recorded = state.deployment()
    if recorded is None:
        raise errors.RegistryError(f"no deployment in {state.path}")
    passphrase = _passphrase(settings, state, demo=False)
    if passphrase is None:
        raise errors.KeyStoreError("set PRIOREG_KEY_PASSPHRASE to unlock the registrar key")
    settings = resolve_node(settings)
    chain = open_chain(settings, state)
    return RegistryClient(chain, recorded.contract, _registrar_key(state, passphrase, create=False))


def state_path(value: str | Path) -> Path:
    """A state directory path as given on the command line."""
    return Path(value).expanduser()
