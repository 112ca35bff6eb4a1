"""Keccak-256 (the Ethereum hash, not NIST SHA3-256), and the one place its backend is chosen.

``safe-pysha3`` (a dependency) is used when it is installed and really computes Keccak-256; it is
about six times faster per call than ``eth_utils.keccak`` (0.85 µs against 5–7 µs, which go mostly
to call overhead), and a Merkle tree of 10⁶ entries needs 3·10⁶ hashes. The same choice is handed
to eth-hash, which hashes for web3, eth-account and py-evm and otherwise takes pycryptodome:
pysha3 costs a sixth per call there, and the embedded chain hashes every transaction, trie node and
block (the benchmark's batched anchoring ran ~13 % faster with it). :func:`prefer_for_eth_hash`
must run before eth-hash's first hash (``registry/__init__.py`` calls it); a backend the user
chose in ``ETH_HASH_BACKEND`` is kept.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from typing import Any

__all__ = ["PYSHA3", "keccak256", "prefer_for_eth_hash"]

_EMPTY_KECCAK = bytes.fromhex("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")


def _pysha3() -> Any:
    """safe-pysha3's (or pysha3's) ``keccak_256``, or None when it is missing or is not Keccak-256."""
    try:
        keccak_256 = importlib.import_module("sha3").keccak_256
    except (ImportError, AttributeError):
        return None
    # A module named "sha3" that is not Keccak-256 would silently break every root and hash: check it.
    return keccak_256 if keccak_256(b"").digest() == _EMPTY_KECCAK else None


_KECCAK_256 = _pysha3()
#: Whether safe-pysha3 is the backend (here and, unless the user chose another, in eth-hash).
PYSHA3 = _KECCAK_256 is not None


def _select() -> Callable[[bytes], bytes]:
    if _KECCAK_256 is None:
        from eth_utils.crypto import keccak

        return keccak
    keccak_256 = _KECCAK_256

    def fast(data: bytes) -> bytes:
        digest: bytes = keccak_256(data).digest()
        return digest

    return fast


#: Keccak-256 through the fastest backend available.
keccak256: Callable[[bytes], bytes] = _select()


def prefer_for_eth_hash() -> None:
    """Have eth-hash use safe-pysha3 too (when it is the backend here), unless ``ETH_HASH_BACKEND`` is set."""
    if PYSHA3:
        os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")
