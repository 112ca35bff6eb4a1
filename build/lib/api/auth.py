"""Office tokens: ``Authorization: Bearer <token>``, each bound to one ST.3 office (API.md).

Only SHA-256 hashes of tokens are kept (at rest and in memory), and a presented token is compared
against every stored hash with :func:`hmac.compare_digest`, without stopping at the first match, so
neither the stored form nor the timing reveals a token.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import tempfile
from pathlib import Path

from registry.errors import RegistryError

__all__ = ["TokenStore", "mint_token"]


def mint_token() -> str:
    """A new bearer token: 256 bits from :mod:`secrets`."""
    return "prt_" + secrets.token_urlsafe(32)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class TokenStore:
    """Which token hash belongs to which office."""

    def __init__(self, hashes: dict[str, str] | None = None) -> None:
        self._hashes: dict[str, str] = dict(hashes or {})  # office → sha256 hex

    @classmethod
    def load(cls, path: Path) -> TokenStore:
        """Read ``{office: sha256}`` from ``path`` (empty when missing)."""
        if not path.exists():
            return cls()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise RegistryError(f"{path} is not a token-hash file ({exc})") from None
        return cls({str(k): str(v) for k, v in data.items()})

    def save(self, path: Path) -> None:
        """Write the hashes (never the tokens) atomically, owner-only."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tokens.")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(self._hashes, fh, indent=2, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)

    def issue(self, office: str) -> str:
        """Mint a token for ``office`` (replacing its previous one) and return it — shown once."""
        token = mint_token()
        self._hashes[office] = _hash(token)
        return token

    def adopt(self, office: str, token: str) -> None:
        """Accept an existing token for ``office`` (read from an operator's tokens file)."""
        self._hashes[office] = _hash(token)

    def office_for(self, token: str) -> str | None:
        """The office a token belongs to, or None; constant-time over all stored hashes."""
        presented = _hash(token)
        found: str | None = None
        for office, stored in self._hashes.items():
            if hmac.compare_digest(presented, stored):
                found = office
        return found

    def offices(self) -> list[str]:
        """Offices that have a token."""
        return sorted(self._hashes)
