"""The trees drawn in README.md and docs/design.md name every folder of the package, and only those."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: Folders that are not layers or parts of one: caches and data beside the code.
NOT_DRAWN = {"__pycache__"}


def _package_folders() -> set[str]:
    found = {"registry/", "api/"}
    for top in ("registry", "api"):
        for path in (ROOT / top).rglob("*"):
            if path.is_dir() and not (set(path.relative_to(ROOT).parts) & NOT_DRAWN):
                found.add(path.relative_to(ROOT).as_posix() + "/")
    return found


def _drawn(document: str, heading: str) -> set[str]:
    text = (ROOT / document).read_text(encoding="utf-8")
    section = text[text.index(heading) :]
    block = section[section.index("```\n") + 4 :]
    block = block[: block.index("```")]
    drawn = set()
    for line in block.splitlines():
        match = re.match(r"(\S+/)\s", line + " ")
        if match:
            drawn.add(match.group(1))
        # A folder may also be named inside the line ("routes/ one router per resource").
        drawn.update(f"{m}/" for m in re.findall(r"(?:^|\s)(\w+)/\s", line) if line.startswith(" "))
    return drawn


@pytest.mark.parametrize(
    ("document", "heading"), [("README.md", "## What it is made of"), ("docs/design.md", "## The tree")]
)
def test_the_tree_draws_every_layer_folder(document: str, heading: str) -> None:
    drawn = _drawn(document, heading)
    top_level = {"contracts/", "registry/", "api/", "scripts/", "tests/", "docs/"}
    assert top_level <= drawn
    layers = {p for p in _package_folders() if p.count("/") == 2 and p.startswith("registry/")}
    assert layers <= drawn, f"{document} does not draw {sorted(layers - drawn)}"
    named = {d for d in drawn if d.startswith(("registry/", "api/"))}
    assert named <= _package_folders(), (
        f"{document} draws folders that do not exist: {sorted(named - _package_folders())}"
    )
