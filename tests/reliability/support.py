"""What the reliability tests share: ``scripts/soak.py`` (its server runner and load), loaded by path.

``scripts/`` holds entry points, not a package; the tests import the very code the soak runs.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def _load_soak() -> ModuleType:
    name = "prioreg_scripts_soak"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / "soak.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


soak = _load_soak()
