"""A state directory: one deployment of the registry and what an operator keeps beside it.

Layout (``--state-dir``, default ``./state``)::

    deployment.json   chain id, contract address, registrar address, RPC URL (none = embedded)
    chain.journal     the embedded chain's journal (registry.ledger.embedded), when embedded
    index.sqlite      the read model (registry.index): disposable, rebuilt from the chain
    keys/             office signing keys, Ethereum v3 keystores (registry.ops.keys)
    seeds/            per-office access-code seeds, the same encrypted format
    registrar.json    the registrar's key, the same encrypted format
    tokens.json       API token hashes (registry.service.tokens; ``prioreg tokens``), tokens.lock for editing it
    files/            reports and priority-document packages kept for other offices, by SHA-256
                      (registry.service.files)
    gateway-nonces.sqlite  nonces of signed requests from other gateways, until they expire
                      (registry.service.gateway_requests)
    reports.sqlite    the reports this gateway holds (report id → file) and every access to them
                      (registry.service.reports)
    packages.sqlite   the priority-document packages this gateway holds ((office, commitment, version) → file),
                      their applications' access secrets and every access (registry.service.priority_documents)
    writer.lock       the one writer's flock, with its pid (registry.ops.lock)
    .creating         only while a deployment is being made (all or nothing: registry.ops.deployment)

Only the chain (journal or node) is a source of truth; deleting ``index.sqlite`` loses nothing.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from registry.errors import RegistryError

__all__ = ["Deployment", "StateDir"]


@dataclass(frozen=True)
class Deployment:
    """Which registry this state directory belongs to."""

    chain_id: int
    contract: str
    registrar: str
    rpc_url: str | None
    deployed_block: int


class StateDir:
    """Paths and the deployment record of one state directory."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @property
    def deployment_file(self) -> Path:
        """``deployment.json``."""
        return self.path / "deployment.json"

    @property
    def index_file(self) -> Path:
        """``index.sqlite``."""
        return self.path / "index.sqlite"

    @property
    def keys_dir(self) -> Path:
        """Office signing keys."""
        return self.path / "keys"

    @property
    def seeds_dir(self) -> Path:
        """Access-code seeds."""
        return self.path / "seeds"

    @property
    def files_dir(self) -> Path:
        """Reports and packages, content-addressed (registry.service.files)."""
        return self.path / "files"

    @property
    def registrar_key_file(self) -> Path:
        """The registrar's encrypted key."""
        return self.path / "registrar.json"

    def ensure(self) -> StateDir:
        """Create the directory (owner-only: it holds encrypted secrets)."""
        self.path.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self

    def deployment(self) -> Deployment | None:
        """The recorded deployment, or None when nothing was deployed from here."""
        if not self.deployment_file.exists():
            return None
        try:
            data = json.loads(self.deployment_file.read_text(encoding="utf-8"))
            return Deployment(**data)
        except (ValueError, TypeError) as exc:
            raise RegistryError(f"{self.deployment_file} is unreadable ({exc}); restore it or start afresh") from None

    def save_deployment(self, deployment: Deployment) -> None:
        """Write ``deployment.json`` atomically."""
        self.ensure()
        text = json.dumps(asdict(deployment), indent=2) + "\n"
        fd, tmp = tempfile.mkstemp(dir=self.path, prefix=".deployment.")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.deployment_file)
        # The deployment is durable: the directory is made (registry.ops.deployment.begin_creation).
        (self.path / ".creating").unlink(missing_ok=True)
