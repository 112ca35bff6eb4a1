"""Office signing keys, kept encrypted at rest.

An office writes to the ledger with one secp256k1 key (an Ethereum account;
docs/design.md#p5-only-an-office-writes-for-itself: "only an office writes for itself"). This module keeps those keys on
disk, one file per office (``<directory>/<OFFICE>.json``), and never in the clear.

Format: the **Ethereum v3 keystore** ("Web3 Secret Storage"), written and read by eth-account
(``Account.encrypt(key, passphrase, kdf="scrypt")`` / ``Account.decrypt``): scrypt derives a key
from the passphrase, AES-128-CTR encrypts the private key, and a keccak-256 MAC over the ciphertext
tells a wrong passphrase (or an altered file) from a right one. It was chosen over a format of our
own because geth, clef, Besu, ethers and web3 tooling import these files as they are, and because
eth-account/eth-keyfile is a well-kept library: the registry does no cryptography of its own here.
The file holds one extra member, ``prioreg`` (office code and creation time); v3 readers ignore
members they do not know.

scrypt cost: real keys use eth-account's default (N = 2^18, r = 8, p = 1; about a second per
``create`` or ``load``), which is what makes a stolen file expensive to attack. Tests and the demo
may pass a lower ``scrypt_n`` to :class:`KeyStore` (a power of two; e.g. 2^4) so they run fast; the
cost is recorded in each file, so ``load`` needs no parameter.

The ``address`` member of a v3 file is not covered by the MAC: :meth:`KeyStore.address` reads it
without the passphrase (to show which account an office signs with) and :meth:`KeyStore.load`
checks it against the decrypted key.

Nothing here logs or prints a key or a passphrase, and no object this module defines holds one:
:class:`KeyInfo` carries only public facts. Error messages never echo what was typed.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import re
import secrets
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from registry.domain.offices import validate_office
from registry.errors import InvalidOfficeCode, KeyNotFound, KeyStoreError, WrongPassphrase

# eth-account and eth-utils (half a second to import) load when a key is read or written: `prioreg keys
# --help` and the other commands' help import this module (issue 14: start-up < 0.5 s).
if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

__all__ = [
    "DEFAULT_PASSPHRASE_ENV_VAR",
    "KeyInfo",
    "KeyStore",
    "passphrase_from_env_or_prompt",
]

DEFAULT_PASSPHRASE_ENV_VAR = "PRIOREG_KEY_PASSPHRASE"  # noqa: S105 - the name of a variable, not a secret
"""The environment variable :func:`passphrase_from_env_or_prompt` reads first."""

# Order of the secp256k1 group: a private key is an integer in [1, n - 1].
_SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_KEY_HEX = re.compile(r"(?:0x)?([0-9a-fA-F]{64})")
# Key files are named by the canonical office code; anything else in the directory is not ours.
_KEY_FILE = re.compile(r"([A-Z]{2})\.json")
_FILE_MODE = 0o600
_DIR_MODE = 0o700


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """The public facts about one office key: never the key itself, so ``repr`` is safe to show."""

    office: str
    address: str
    """The account's EIP-55 checksum address (``0x`` + 40 hex digits)."""
    path: Path
    created: datetime
    """When the key file was written (UTC); the file's mtime for files made by other tools."""

    def to_json(self) -> dict[str, str]:
        """Return the lowerCamelCase JSON form used by ``prioreg keys … --json`` (docs/api.md#command-line naming)."""
        return {
            "ipOfficeCode": self.office,
            "address": self.address,
            "path": str(self.path),
            "created": self.created.isoformat(),
        }


class KeyStore:
    """A directory of v3 keystore files, one per office (``<directory>/<OFFICE>.json``).

    ``scrypt_n`` is the scrypt cost N for keys this store *writes* (a power of two ≥ 2); ``None``
    means eth-account's default, which every real key should use. Lower it only for tests and demos.
    """

    def __init__(self, directory: Path, *, scrypt_n: int | None = None) -> None:
        if scrypt_n is not None and (scrypt_n < 2 or scrypt_n & (scrypt_n - 1)):
            raise KeyStoreError(f"scrypt cost N must be a power of two of at least 2, not {scrypt_n}")
        self.directory = Path(directory)
        self.scrypt_n = scrypt_n

    def __repr__(self) -> str:
        return f"KeyStore({str(self.directory)!r}, scrypt_n={self.scrypt_n!r})"

    def path_for(self, office: str) -> Path:
        """Return the key file of ``office`` (validated as a WIPO ST.3 code), whether or not it exists."""
        return self.directory / f"{_office(office)}.json"

    def create(self, office: str, passphrase: str, *, overwrite: bool = False) -> KeyInfo:
        """Make a new random key for ``office``, store it encrypted under ``passphrase`` and describe it.

        Raises :class:`KeyStoreError` if the office already has a key and ``overwrite`` is false
        (replacing an office key strands the account the ledger knows, so it must be asked for).
        """
        return self._store(office, _random_private_key(), passphrase, overwrite=overwrite)

    def import_key(self, office: str, private_key_hex: str, passphrase: str, *, overwrite: bool = False) -> KeyInfo:
        """Store an existing private key (64 hex digits, ``0x`` optional) for ``office``, encrypted.

        Raises :class:`KeyStoreError` when the text is not a secp256k1 private key (the message does
        not repeat it) or when the office already has a key and ``overwrite`` is false.
        """
        return self._store(office, _parse_private_key(private_key_hex), passphrase, overwrite=overwrite)

    def list(self) -> list[KeyInfo]:
        """Describe every office key in the directory, sorted by office; an absent directory holds none."""
        if not self.directory.is_dir():
            return []
        try:
            entries = sorted(self.directory.iterdir())
        except OSError as exc:
            raise KeyStoreError(f"cannot read the key directory {self.directory}: {exc.strerror or exc}") from None
        found = []
        for entry in entries:
            match = _KEY_FILE.fullmatch(entry.name)
            if match is None or not entry.is_file():
                continue
            try:
                office = validate_office(match.group(1))
            except InvalidOfficeCode:
                continue  # e.g. XX.json: not a file this store would have written
            found.append(self._info(office, entry, _read_keyfile(office, entry)))
        return found

    def address(self, office: str) -> str:
        """Return the checksum address of ``office``'s key without decrypting it (no passphrase needed).

        Raises :class:`KeyNotFound` when the office has no key file.
        """
        office = _office(office)
        return _stored_address(office, _read_keyfile(office, self.path_for(office)))

    def info(self, office: str) -> KeyInfo:
        """Describe ``office``'s key (as :meth:`list` does for all); raises :class:`KeyNotFound`."""
        office = _office(office)
        path = self.path_for(office)
        return self._info(office, path, _read_keyfile(office, path))

    def load(self, office: str, passphrase: str) -> LocalAccount:
        """Decrypt ``office``'s key and return it as an eth-account signer.

        Raises :class:`KeyNotFound` when there is no key file, :class:`WrongPassphrase` when the
        passphrase does not decrypt it, and :class:`KeyStoreError` when the file is damaged.
        """
        from eth_account import Account

        office = _office(office)
        path = self.path_for(office)
        keyfile = _read_keyfile(office, path)
        expected = _stored_address(office, keyfile)
        try:
            private_key = Account.decrypt(keyfile, passphrase)
        except ValueError:
            # eth-keyfile's only ValueError on decrypt is "MAC mismatch": wrong passphrase, or a
            # ciphertext that was altered; the MAC cannot tell these apart, so the message names both.
            # `from None`: nothing of the failed attempt belongs in a traceback.
            raise WrongPassphrase(
                f"the passphrase does not open the key of office {office} ({path}), or the file was altered"
            ) from None
        except (KeyError, TypeError, NotImplementedError):
            raise KeyStoreError(f"the key file of office {office} ({path}) is not a usable v3 keystore") from None
        account: LocalAccount = Account.from_key(private_key)
        if account.address != expected:
            # The address member is outside the MAC; a file whose label lies must not be used.
            raise KeyStoreError(
                f"the key file of office {office} ({path}) names {expected} but holds the key of another account"
            )
        return account

    # -- writing --------------------------------------------------------------------------

    def _store(self, office: str, private_key: bytes, passphrase: str, *, overwrite: bool) -> KeyInfo:
        from eth_account import Account
        from eth_utils.address import to_checksum_address

        office = _office(office)
        if not isinstance(passphrase, str) or passphrase == "":
            raise KeyStoreError(f"the passphrase for office {office} must not be empty")
        path = self.path_for(office)
        if path.exists() and not overwrite:
            raise KeyStoreError(f"office {office} already has a key ({path}); replace it only on purpose (--force)")
        keyfile = Account.encrypt(private_key, passphrase, kdf="scrypt", iterations=self.scrypt_n)
        created = datetime.now(UTC).replace(microsecond=0)
        keyfile["prioreg"] = {"ipOfficeCode": office, "created": created.isoformat()}
        try:
            self._write_atomically(path, json.dumps(keyfile, indent=2).encode() + b"\n", overwrite=overwrite)
        except OSError as exc:
            # e.g. a directory owned by someone else: one clear line rather than a raw OSError.
            raise KeyStoreError(f"cannot write the key of office {office} to {path}: {exc.strerror or exc}") from None
        return KeyInfo(office, to_checksum_address(keyfile["address"]), path, created)

    def _write_atomically(self, path: Path, data: bytes, *, overwrite: bool) -> None:
        self.directory.mkdir(mode=_DIR_MODE, parents=True, exist_ok=True)
        # mkdir's mode is masked by the umask and ignored for an existing directory: set it outright.
        os.chmod(self.directory, _DIR_MODE)
        # mkstemp creates the file 0600 in the same directory, so the rename below stays atomic and
        # a crash leaves either the old file or the new one, never half of one.
        fd, tmp_name = tempfile.mkstemp(dir=self.directory, prefix=f".{path.stem}.", suffix=".tmp")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as handle:
                os.fchmod(handle.fileno(), _FILE_MODE)
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            if overwrite:
                os.replace(tmp, path)
            else:
                # link() fails if the name exists, so two writers racing for a new office cannot
                # silently replace each other's key (a check-then-rename could).
                try:
                    os.link(tmp, path)
                except FileExistsError:
                    raise KeyStoreError(
                        f"office {path.stem} already has a key ({path}); replace it only on purpose (--force)"
                    ) from None
                tmp.unlink()
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        _fsync_directory(self.directory)

    @staticmethod
    def _info(office: str, path: Path, keyfile: Mapping[str, Any]) -> KeyInfo:
        meta = keyfile.get("prioreg")
        created: datetime | None = None
        if isinstance(meta, dict) and isinstance(meta.get("created"), str):
            with contextlib.suppress(ValueError):
                created = datetime.fromisoformat(meta["created"])
        if created is None:
            # A v3 file made by geth or clef carries no date; the file's mtime is the best we know.
            created = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(microsecond=0)
        return KeyInfo(office, _stored_address(office, keyfile), path, created)


def passphrase_from_env_or_prompt(
    office: str, *, env_var: str = DEFAULT_PASSPHRASE_ENV_VAR, confirm: bool = False
) -> str:
    """Return the passphrase for ``office``'s key: from ``env_var`` if set, else asked for without echo.

    Never from the command line: argv is visible to every user of the machine (``ps``) and lands in
    shell history. The environment is read here, not through the settings class, so that the secret
    is not kept in a long-lived settings object. ``confirm`` asks twice (for a new key). Raises
    :class:`KeyStoreError` when the variable is unset and there is no terminal to ask on.
    """
    office = _office(office)
    from_env = os.environ.get(env_var)
    if from_env:
        return from_env
    if not sys.stdin.isatty():
        raise KeyStoreError(
            f"no passphrase for the key of office {office}: set {env_var} or run in a terminal to be asked"
        )
    try:
        first = getpass.getpass(f"Passphrase for the key of office {office}: ")
        if confirm and getpass.getpass("Repeat the passphrase: ") != first:
            raise KeyStoreError(f"the two passphrases for office {office} differ; nothing was written")
    except (EOFError, KeyboardInterrupt):
        raise KeyStoreError(f"no passphrase was given for the key of office {office}") from None
    if first == "":
        raise KeyStoreError(f"the passphrase for office {office} must not be empty")
    return first


def _office(office: str) -> str:
    return validate_office(office)


def _random_private_key() -> bytes:
    # Rejection sampling keeps the key uniform in [1, n - 1]; a retry happens with probability ~2^-128.
    while True:
        candidate = secrets.token_bytes(32)
        if 0 < int.from_bytes(candidate, "big") < _SECP256K1_N:
            return candidate


def _parse_private_key(text: str) -> bytes:
    # The messages below never include `text`: it is (or is meant to be) a secret.
    match = _KEY_HEX.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise KeyStoreError("that is not a private key: expected 64 hexadecimal digits (0x optional)")
    key = bytes.fromhex(match.group(1))
    if not 0 < int.from_bytes(key, "big") < _SECP256K1_N:
        raise KeyStoreError("that is not a secp256k1 private key: the value is out of range")
    return key


def _read_keyfile(office: str, path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise KeyNotFound(
            f"no key for office {office}: {path} does not exist (create one with `prioreg keys create {office}`)"
        ) from None
    except OSError as exc:
        raise KeyStoreError(f"cannot read the key file of office {office} ({path}): {exc.strerror}") from None
    try:
        keyfile = json.loads(raw)
    except ValueError:
        raise KeyStoreError(f"the key file of office {office} ({path}) is not JSON") from None
    if not isinstance(keyfile, dict) or keyfile.get("version") != 3 or not isinstance(keyfile.get("crypto"), dict):
        raise KeyStoreError(f"the key file of office {office} ({path}) is not an Ethereum v3 keystore")
    return keyfile


def _stored_address(office: str, keyfile: Mapping[str, Any]) -> str:
    from eth_utils.address import is_hex_address, to_checksum_address

    address = keyfile.get("address")
    if isinstance(address, str) and not address.startswith("0x"):
        address = "0x" + address
    if not isinstance(address, str) or not is_hex_address(address):
        raise KeyStoreError(f"the key file of office {office} has no valid address")
    return to_checksum_address(address)


def _fsync_directory(directory: Path) -> None:
    # The rename is durable only once the directory entry is on disk too.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
