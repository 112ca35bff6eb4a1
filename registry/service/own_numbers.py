"""An office's own application numbers and access codes, kept encrypted at rest
(docs/spec/entries.md#claim-tokens-and-confirmed-links).

The earlier office's gateway confirms a priority claim on one of its applications by recomputing
the claim token, which needs the application's access secret; a commitment alone does not give it
back. So the gateway keeps, for each application its office anchored, the canonical number and —
when the office chose the code itself — the access secret. Seed-derived codes are not stored: they
are derived again from the office's seed (:func:`registry.domain.accesscodes.derive`), which is what makes
a confirmation possible after a restart without keeping more secrets than needed.

Encryption reuses the office's key material rather than a passphrase of its own: the office's
access-code seed lives encrypted in a :class:`registry.ops.keys.KeyStore` (scrypt + AES, eth-account's
v3 format); this store derives a 256-bit key from it with HKDF-SHA256 (info
``prioreg.own-numbers.v1``) and seals each line with AES-256-GCM (``cryptography``), the office
code as associated data. One line per application, appended and fsynced; a line that does not
open (torn last write, another office's file) is skipped, never trusted.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from registry.domain.accesscodes import derive
from registry.domain.types import Commitment, as_commitment

__all__ = ["OwnNumbers"]

_INFO = b"prioreg.own-numbers.v1"


class OwnNumbers:
    """The numbers (and office-chosen secrets) of one office's own applications, by commitment."""

    def __init__(self, office: str, seed: bytes | None, path: Path | None = None) -> None:
        self.office = office
        self._seed = seed
        self._path = path
        self._secrets: dict[Commitment, str] = {}
        self._aead = (
            AESGCM(HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(seed))
            if seed is not None
            else None
        )
        if path is not None and path.exists() and self._aead is not None:
            self._load(path)

    def __len__(self) -> int:
        return len(self._secrets)

    def secret(self, commitment: Commitment) -> str | None:
        """The access secret of the office's application ``commitment`` (None when unknown here)."""
        return self._secrets.get(commitment)

    def remember(
        self, commitment: Commitment, number_office: str, canonical: str, secret: str, *, chosen: bool
    ) -> None:
        """Keep an anchored application; ``chosen``: the office chose the code (it cannot be derived)."""
        if commitment in self._secrets:
            return
        self._secrets[commitment] = secret
        if self._path is None or self._aead is None:
            return
        line = {"c": commitment.hex(), "o": number_office, "n": canonical, "s": secret if chosen else None}
        nonce = secrets.token_bytes(12)
        sealed = self._aead.encrypt(nonce, json.dumps(line).encode(), self.office.encode())
        self._path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, base64.b64encode(nonce + sealed) + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)

    def _load(self, path: Path) -> None:
        assert self._aead is not None and self._seed is not None
        for raw in path.read_bytes().splitlines():
            try:
                blob = base64.b64decode(raw, validate=True)
                line = json.loads(self._aead.decrypt(blob[:12], blob[12:], self.office.encode()))
                secret = line["s"] or derive(self._seed, line["o"], line["n"]).secret
                self._secrets[as_commitment(bytes.fromhex(line["c"]))] = secret
            except (InvalidTag, ValueError, KeyError, TypeError):
                continue  # a torn or foreign line: skipped, never trusted
