"""Compile the contracts into the committed artifact (docs/spec/contract.md#compiler-and-artifact).

The compiler version, optimizer, ``evmVersion`` and ``bytecodeHash`` are pinned here and nowhere
else. Compilation goes through py-solc-x's ``compile_standard``: with a native ``solc`` when one is
installed (``SOLC_BINARY``, or py-solc-x's own installs), otherwise the npm ``solc`` package through
``scripts/solc-npm.mjs``. Running the registry never needs a compiler: it loads the artifact
``contracts/artifacts/PriorityRegistry.json``, and a test proves the artifact is reproducible.

The artifact is also package data (``registry/ledger/artifacts/``, a link to the committed file in
the source tree, copied into the wheel), so that an installed package runs from any directory
without the source tree: :func:`load_artifact` reads it through :mod:`importlib.resources`.
"""

from __future__ import annotations

import json
import os
import shutil
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from registry.errors import CompileError

__all__ = [
    "ARTIFACT_PATH",
    "COMPILER_SETTINGS",
    "CONTRACT_NAME",
    "SOLC_VERSION",
    "CompileError",
    "build_artifact",
    "compile_contracts",
    "load_artifact",
    "standard_input",
    "write_artifact",
]

SOLC_VERSION = "0.8.37"
CONTRACT_NAME = "PriorityRegistry"
REPO_ROOT = Path(__file__).resolve().parents[2]
CONTRACTS_DIR = REPO_ROOT / "contracts"
ARTIFACT_PATH = CONTRACTS_DIR / "artifacts" / f"{CONTRACT_NAME}.json"
_SOURCES = ("IPriorityRegistry.sol", "PriorityRegistry.sol")

# cancun: run by py-evm, anvil, geth and Besu alike; `none` keeps the bytecode free of a metadata
# hash so that the same sources give the same bytes on every machine.
COMPILER_SETTINGS: dict[str, Any] = {
    "optimizer": {"enabled": True, "runs": 200},
    "evmVersion": "cancun",
    "metadata": {"bytecodeHash": "none"},
    "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]}},
}


def standard_input() -> dict[str, Any]:
    """The solc standard-JSON input for the registry's sources, with the pinned settings."""
    sources = {
        f"contracts/{name}": {"content": (CONTRACTS_DIR / name).read_text(encoding="utf-8")} for name in _SOURCES
    }
    return {"language": "Solidity", "sources": sources, "settings": COMPILER_SETTINGS}


def _solc_binary() -> str:
    explicit = os.environ.get("SOLC_BINARY")
    if explicit:
        return explicit
    native = shutil.which("solc")
    if native:
        return native
    shim = REPO_ROOT / "scripts" / "solc-npm.mjs"
    if not (REPO_ROOT / "node_modules" / "solc").is_dir():
        raise CompileError("no solc found: run `npm ci` (npm solc) or set SOLC_BINARY to a native solc")
    return str(shim)


def compile_contracts() -> dict[str, Any]:
    """Compile the sources and return solc's standard-JSON output; raise on any compiler error."""
    import solcx  # imported here: only compiling needs it, running the registry does not
    from solcx.wrapper import get_solc_version

    binary = _solc_binary()
    version = str(get_solc_version(binary))
    if version != SOLC_VERSION:
        raise CompileError(f"solc {version} found at {binary}; the contracts pin {SOLC_VERSION}")
    output: dict[str, Any] = solcx.compile_standard(
        standard_input(), solc_binary=binary, base_path=str(REPO_ROOT), allow_paths=[str(REPO_ROOT)]
    )
    errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise CompileError("; ".join(e.get("formattedMessage", e.get("message", "")) for e in errors))
    return output


def build_artifact() -> dict[str, Any]:
    """The artifact: ABI, creation and runtime bytecode, and the exact compiler input settings."""
    output = compile_contracts()
    contract = output["contracts"][f"contracts/{CONTRACT_NAME}.sol"][CONTRACT_NAME]
    return {
        "contractName": CONTRACT_NAME,
        "compiler": {"name": "solc", "version": SOLC_VERSION, "settings": COMPILER_SETTINGS},
        "abi": contract["abi"],
        "bytecode": "0x" + contract["evm"]["bytecode"]["object"],
        "deployedBytecode": "0x" + contract["evm"]["deployedBytecode"]["object"],
    }


def _dump(artifact: dict[str, Any]) -> str:
    return json.dumps(artifact, indent=1, sort_keys=True) + "\n"


def write_artifact(path: Path = ARTIFACT_PATH) -> Path:
    """Compile and write the artifact."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_dump(build_artifact()), encoding="utf-8")
    return path


@lru_cache(maxsize=1)
def load_artifact() -> dict[str, Any]:
    """The committed artifact, as shipped in the package (``registry/ledger/artifacts``).

    In a source checkout the package-data file is a link to ``contracts/artifacts``, so a freshly
    written artifact is seen at once; an installed wheel holds a copy.
    """
    shipped = resources.files("registry.ledger").joinpath("artifacts", f"{CONTRACT_NAME}.json")
    try:
        text = shipped.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        raise CompileError(
            f"no compiled artifact shipped with the package (expected {ARTIFACT_PATH}): run `make artifacts`"
        ) from None
    loaded: dict[str, Any] = json.loads(text)
    return loaded


if __name__ == "__main__":
    print(write_artifact())
