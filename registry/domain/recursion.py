"""Keep the interpreter's recursion limit where it was when py-evm and py_ecc are imported.

``py_ecc`` (imported by eth-account, through eth-keyfile) raises ``sys.setrecursionlimit`` to
100,000 when it is imported, and py-evm's ``eth`` package to at least 12,288. CPython's C code (the
``json`` decoder, ``repr``, pickling) guards its own recursion with that limit, so with it raised a
few hundred KB of nested JSON overflow the C stack and end the process with SIGSEGV before any
``RecursionError`` is raised: one unauthenticated request took the gateway down (issue 12).
docs/design.md#p10-no-request-can-take-the-gateway-down ("no request can take the gateway down") must not depend on
which library happened to be imported first.

:func:`install` wraps the loading of those two packages so that whatever limit was in force just
before the import is in force again just after it. Request bodies are parsed with a depth-limited
parser anyway (:mod:`registry.domain.bounded_json`); this restores the interpreter's own guard for
everything else.

Why the EVM does not need the raised limit here: py-evm recurses in Python once per nested message
call (CALL, DELEGATECALL, STATICCALL, CREATE). The only contract this registry runs on the embedded
chain makes at most a precompile call (``ecrecover``) below its entry point, a few dozen Python
frames; the gateway is the only sender on its embedded chain, and on a real node (``--rpc-url``) the
node executes transactions, not this process.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

__all__ = ["RAISING_PACKAGES", "install"]

#: Top-level packages that raise the recursion limit as a side effect of being imported.
RAISING_PACKAGES = frozenset({"py_ecc", "eth"})


class _KeepLimitLoader(importlib.abc.Loader):
    """Runs the real loader, then puts the recursion limit back."""

    def __init__(self, loader: importlib.abc.Loader) -> None:
        self._loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        limit = sys.getrecursionlimit()
        try:
            self._loader.exec_module(module)
        finally:
            sys.setrecursionlimit(limit)

    def __getattr__(self, name: str) -> Any:  # get_resource_reader, is_package, … of the real loader
        return getattr(self._loader, name)


class _KeepLimitFinder(importlib.abc.MetaPathFinder):
    """Finds the raising packages the normal way and hands them to :class:`_KeepLimitLoader`."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in RAISING_PACKAGES:
            return None
        for finder in sys.meta_path:
            if isinstance(finder, _KeepLimitFinder) or not hasattr(finder, "find_spec"):
                continue
            spec: importlib.machinery.ModuleSpec | None = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None:
                    spec.loader = _KeepLimitLoader(spec.loader)
                return spec
        return None


def install() -> None:
    """Guard later imports of :data:`RAISING_PACKAGES` (idempotent). Packages already imported
    raised the limit before this could see it; their raise is not undone here."""
    if not any(isinstance(finder, _KeepLimitFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _KeepLimitFinder())
