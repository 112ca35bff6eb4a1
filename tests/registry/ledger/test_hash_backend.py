"""eth-hash's backend: safe-pysha3 once ``registry`` is imported, unless the user chose another."""

from __future__ import annotations

import os
import subprocess
import sys

_PROBE = (
    "import registry\n"
    "from eth_utils.crypto import keccak\n"
    "from eth_hash.auto import keccak as auto\n"
    "assert keccak(b'').hex() == 'c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470'\n"
    "print(type(auto.hasher.__self__).__name__)\n"
)


def _backend(env_backend: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "ETH_HASH_BACKEND"}
    if env_backend is not None:
        env["ETH_HASH_BACKEND"] = env_backend
    done = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_the_registry_hashes_with_pysha3_by_default() -> None:
    assert _backend(None) == "PySha3Backend"


def test_a_backend_chosen_in_the_environment_is_kept() -> None:
    assert _backend("pycryptodome") == "CryptodomeBackend"


def test_the_merkle_trees_and_eth_hash_share_one_choice_of_backend() -> None:
    from eth_utils.crypto import keccak

    from registry.domain import keccak as choice
    from registry.domain import merkle

    assert choice.PYSHA3  # safe-pysha3 is a dependency, so it is the backend
    assert merkle.keccak256 is choice.keccak256
    assert choice.keccak256(b"abc") == keccak(b"abc")
