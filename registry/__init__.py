"""The priority registry: application numbers, commitments, priority rules and families, and the
client that anchors them on an EVM ledger (see docs/design.md)."""

from registry.domain import keccak as _keccak
from registry.domain import recursion as _recursion

__version__ = "0.1.0"

# eth-hash (Keccak-256 for web3, eth-account and py-evm) reads ETH_HASH_BACKEND at its first hash,
# so the one choice of backend (registry.domain.keccak) is handed to it before any.
_keccak.prefer_for_eth_hash()

# py_ecc and py-evm raise the interpreter's recursion limit when imported, which lets deeply nested
# input overflow the C stack (SIGSEGV) instead of raising RecursionError: undone for every import
# that comes after this one (registry.domain.recursion).
_recursion.install()
