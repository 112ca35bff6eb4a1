"""The layers' import contracts hold on the tree, and a violation of each one fails ``make lint``.

``make lint`` runs ``lint-imports`` with the contracts of ``[tool.importlinter]`` in
``pyproject.toml`` (docs/design.md: domain imports no other layer; the one-way path domain → ledger →
index → service → ops | bench → cli; nothing of ``registry`` imports ``api`` except the CLI's
``serve``; ``api`` reaches the library through ``service``, ``domain`` and ``errors``). Each case
below copies the packages to a temporary directory, adds one import that breaks one contract, and
shows that ``lint-imports`` fails there, naming the contract and the import.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    # The packages are found under `root` first (PYTHONPATH), so a copy is analysed, not the checkout.
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=root, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def _copy_of_the_tree(target: Path) -> Path:
    shutil.copy2(REPO / "pyproject.toml", target / "pyproject.toml")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "artifacts", "data", "static")
    for package in ("registry", "api"):
        shutil.copytree(REPO / package, target / package, ignore=ignore)
    return target


def test_the_tree_keeps_every_import_contract() -> None:
    result = _lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract", "named"),
    [
        (
            "registry/domain/numbers/__init__.py",
            "import registry.ledger.chain",
            "domain is pure: it imports no other layer",
            "registry.domain.numbers -> registry.ledger.chain",
        ),
        (
            "registry/ledger/chain.py",
            "from registry.service import RegistryService",
            "the one-way path",
            "registry.ledger.chain -> registry.service",
        ),
        (
            "registry/service/__init__.py",
            "from api import app",
            "registry never imports api, except the CLI's serve command",
            "registry.service -> api",
        ),
        (
            "api/routes/__init__.py",
            "from registry.ops.config import Settings",
            "api reaches the library through service, domain and errors only",
            "api.routes -> registry.ops.config",
        ),
    ],
    ids=["domain-imports-ledger", "ledger-imports-service", "service-imports-api", "api-imports-ops"],
)
def test_lint_imports_fails_on_a_deliberate_violation(
    tmp_path: Path, module: str, line: str, contract: str, named: str
) -> None:
    root = _copy_of_the_tree(tmp_path)
    target = root / module
    assert target.exists(), f"{module} moved: pick another module for this case"
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}  # deliberate layer violation\n")
    result = _lint_imports(root)
    assert result.returncode != 0, result.stdout
    lines = result.stdout.splitlines()
    assert any(line.startswith(contract) and " BROKEN" in line for line in lines), result.stdout
    assert named in result.stdout.split("Broken contracts", 1)[-1]
