"""The priority registry: application numbers, commitments, priority rules and families, and the
client that anchors them on an EVM ledger (see ../shared/DESIGN.md)."""

import importlib.util
import os

__version__ = "0.1.0"

# Keccak-256 for web3, eth-account and py-evm comes from eth-hash, which takes pycryptodome when
# both it and safe-pysha3 (a dependency, see registry.domain.merkle) are installed. pysha3 costs a sixth
# per call, and the embedded chain hashes every transaction, trie node and block: the benchmark's
# batched anchoring runs ~13 % faster with it. eth-hash reads ETH_HASH_BACKEND at its first hash,
# so this must happen before any; a backend the user chose is kept.
if importlib.util.find_spec("sha3") is not None:
    os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")

# py_ecc and py-evm raise the interpreter's recursion limit when imported, which lets deeply nested
# input overflow the C stack (SIGSEGV) instead of raising RecursionError: undone for every import
# that comes after this one (registry.domain.recursion).
from registry.domain import recursion as _recursion

_recursion.install()
