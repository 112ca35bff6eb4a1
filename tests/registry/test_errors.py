"""The exception tree is one tree (issue 14, item 5): every class in ``registry/errors.py``, each
"Raised when …", all drawn in the module docstring where they hang, and contract reverts decoded
into the class that names what happened, carrying the error's arguments."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

from eth_abi.abi import encode as abi_encode
from eth_utils.crypto import keccak

from registry import errors
from registry.ledger import compile as compile_module
from registry.ledger import embedded
from registry.ledger.compile import load_artifact
from registry.ledger.reverts import ERROR_CLASSES, decode_revert

ROOT = Path(__file__).resolve().parents[2]


def _tree(cls: type[errors.RegistryError] = errors.RegistryError) -> list[type[errors.RegistryError]]:
    out = [cls]
    for sub in cls.__subclasses__():
        out.extend(_tree(sub))
    return out


TREE = _tree()
NAMES = {cls.__name__ for cls in TREE}


def test_every_class_of_the_tree_is_defined_in_registry_errors() -> None:
    assert len(TREE) > 50
    assert [cls for cls in TREE if cls.__module__ != "registry.errors"] == []
    assert sorted(NAMES) == sorted(errors.__all__)


def test_no_module_but_errors_defines_a_registry_error() -> None:
    """Read the sources, so that a module not imported here cannot hide a class of its own."""
    outside = []
    for package in ("registry", "api"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if path == ROOT / "registry" / "errors.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ClassDef):
                    bases = {getattr(b, "id", getattr(b, "attr", "")) for b in node.bases}
                    if bases & NAMES:
                        outside.append(f"{path.relative_to(ROOT)}: {node.name}")
    assert outside == []


def test_the_old_homes_still_export_the_moved_classes() -> None:
    assert embedded.JournalCorrupt is errors.JournalCorrupt
    assert embedded.SnapshotCorrupt is errors.SnapshotCorrupt
    assert compile_module.CompileError is errors.CompileError
    from api.errors import Unauthenticated

    assert Unauthenticated is errors.Unauthenticated


def test_every_class_says_when_it_is_raised() -> None:
    assert [cls.__name__ for cls in TREE if not (cls.__doc__ or "").startswith("Raised when ")] == []


def _drawn_parents() -> dict[str, str]:
    doc = errors.__doc__ or ""
    parents: dict[str, str] = {}
    stack = ["RegistryError"]
    for line in doc.splitlines():
        found = re.match(r"^    ((?:[│ ] {3})*)[├└]── (\w+)", line)
        if not found:
            continue
        depth = len(found.group(1)) // 4 + 1
        del stack[depth:]
        parents[found.group(2)] = stack[depth - 1]
        stack.append(found.group(2))
    return parents


def test_the_drawing_shows_every_class_under_its_parent() -> None:
    drawn = _drawn_parents()
    assert sorted(drawn) == sorted(NAMES - {"RegistryError"})
    for cls in TREE[1:]:
        bases = [b.__name__ for b in cls.__bases__]
        assert drawn[cls.__name__] == bases[0], (cls.__name__, drawn[cls.__name__], bases)
        # The builtin a class also subclasses is drawn next to it.
        for builtin in bases[1:]:
            assert re.search(rf"── {cls.__name__} \({builtin}\)", errors.__doc__ or ""), cls.__name__


def test_classes_subclass_the_fitting_builtin_but_never_an_oserror() -> None:
    assert issubclass(errors.InvalidApplicationNumber, ValueError)
    assert issubclass(errors.NotFound, LookupError) and issubclass(errors.KeyNotFound, LookupError)
    assert issubclass(errors.WrongPassphrase, ValueError)
    assert issubclass(errors.JournalCorrupt, ValueError) and issubclass(errors.SnapshotCorrupt, ValueError)
    assert issubclass(errors.CompileError, RuntimeError)
    # File-handling code catches OSError: it must never swallow a refusal or a ledger failure.
    assert [cls.__name__ for cls in TREE if issubclass(cls, OSError)] == []


# ── reverts ────────────────────────────────────────────────────────────────────────────────────

_ABI_ERRORS = [item for item in load_artifact()["abi"] if item["type"] == "error"]

_SAMPLES: dict[str, Any] = {
    "bytes2": b"XY",
    "bytes32": bytes(range(32)),
    "address": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    "uint8": 7,
    "uint32": 19_000,
    "uint48": 1_700_000_000,
    "uint256": 12_345,
    "string": "a reason",
}


def _revert_data(item: dict[str, Any]) -> bytes:
    types = [i["type"] for i in item["inputs"]]
    selector = keccak(text=f"{item['name']}({','.join(types)})")[:4]
    return selector + abi_encode(types, [_SAMPLES[t] for t in types])


def _attribute(cls: type[errors.ContractRevert], abi_name: str) -> str:
    for klass in cls.__mro__:
        for attr, value in vars(klass).items():
            if getattr(value, "abi_name", None) == abi_name:
                return attr
    raise AssertionError(f"{cls.__name__} has no attribute for {abi_name}")


def test_every_custom_error_of_the_registry_has_a_class_that_names_it() -> None:
    own = [item["name"] for item in _ABI_ERRORS if item["name"].startswith("PriorityRegistry")]
    assert len(own) == 29
    assert sorted(set(own) - set(ERROR_CLASSES)) == []
    # One class per error: two errors never collapse into one class again.
    assert len(set(ERROR_CLASSES.values())) == len(ERROR_CLASSES)


def test_a_decoded_revert_is_its_own_class_and_carries_its_arguments() -> None:
    checked = 0
    for item in _ABI_ERRORS:
        cls = ERROR_CLASSES.get(item["name"], errors.ContractRevert)
        refusal = decode_revert(_revert_data(item))
        assert type(refusal) is cls, item["name"]
        assert refusal.name == item["name"]
        for field in item["inputs"]:
            if cls is errors.ContractRevert:
                continue
            value = getattr(refusal, _attribute(cls, field["name"]))
            sample = _SAMPLES[field["type"]]
            assert value == (sample.decode() if field["type"] == "bytes2" else sample), (item["name"], field)
            checked += 1
    assert checked > 40


def test_the_reverts_that_used_to_collapse_still_are_what_they_were() -> None:
    """UnknownOffice was answered as OfficeNotActive, OfficeMismatch as Unauthorized, …: now each
    names itself, and every ``except`` clause written for the broader class still catches it."""
    assert issubclass(errors.UnknownOffice, errors.OfficeNotActive)
    assert issubclass(errors.OfficeMismatch, errors.Unauthorized)
    assert issubclass(errors.MissingRole, errors.Unauthorized)
    assert issubclass(errors.UnknownBatch, errors.InvalidProof)
    assert issubclass(errors.CommitmentMismatch, errors.InvalidProof)
    assert issubclass(errors.BatchAlreadyAnchored, errors.AlreadyAnchored)
    assert issubclass(errors.ReportAlreadyAnchored, errors.AlreadyAnchored)


def test_an_unknown_office_says_which_office_it_was() -> None:
    item = next(i for i in _ABI_ERRORS if i["name"] == "PriorityRegistryUnknownOffice")
    refusal = decode_revert(_revert_data(item))
    assert isinstance(refusal, errors.UnknownOffice)
    assert refusal.office == "XY"
    assert "office=XY" in refusal.message


def test_an_argument_the_revert_data_did_not_carry_is_absent_not_invented() -> None:
    refusal = errors.UnknownOffice("PriorityRegistryUnknownOffice", {})
    try:
        _ = refusal.office
    except AttributeError as exc:
        assert "could not be decoded" in str(exc)
    else:
        raise AssertionError("an undecoded argument must not read as a value")
