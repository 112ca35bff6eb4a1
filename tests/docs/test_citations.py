"""The citation map and its rewrite (issue 14 item 9): code cites ``docs/`` pages that exist.

``docs/citations.tsv`` maps every citation of the documents that used to live outside the
repository (``SPEC.md §2``, ``API.md``, ``DESIGN.md property 9``, ``DOMAIN.md``, ``STYLE.md``,
``../shared/``) to a page and heading of ``docs/``; ``scripts/rewrite_citations.py`` applies it.
These tests hold the map to the pages (every ``path#anchor`` it names is a heading, by GitHub's
anchor rule), the pages to each other (every relative link resolves), and the script to its promise:
on a copy of the repository it leaves no old citation, stays lint-clean and changes nothing the
second time.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
SCRIPT = ROOT / "scripts" / "rewrite_citations.py"

#: A citation of a docs page in the map's replacements: ``docs/spec/entries.md#merkle-tree``, ``docs/spec/``.
DOCS_REFERENCE = re.compile(r"docs/(?:[\w./-]*[\w/])?(?:#[\w-]+)?")

#: A relative Markdown link: ``[text](target)``, not an absolute URL.
LINK = re.compile(r"\[[^\]]*\]\((?!https?://|mailto:)([^)\s]+)\)")


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("rewrite_citations", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


rc = _script()


def github_anchor(heading: str) -> str:
    """GitHub's anchor of a Markdown heading: lowercase, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"`|\*\*|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip()).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors_of(page: Path) -> set[str]:
    """Every heading anchor of ``page``; a repeated heading gets ``-1``, ``-2``, … as on GitHub."""
    seen: dict[str, int] = {}
    anchors: set[str] = set()
    in_fence = False
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            in_fence = not in_fence
        match = None if in_fence else re.match(r"#{1,6} (.+)", line)
        if match:
            anchor = github_anchor(match.group(1))
            count = seen.get(anchor, 0)
            seen[anchor] = count + 1
            anchors.add(anchor if count == 0 else f"{anchor}-{count}")
    return anchors


def resolve(reference: str, base: Path) -> tuple[Path, str]:
    """The file and anchor a reference names, relative to ``base``; a folder means its README.md if it has one."""
    path, _, anchor = reference.partition("#")
    target = (base / path).resolve() if path else base
    if target.is_dir() and (target / "README.md").is_file():
        target = target / "README.md"
    return target, anchor


def _map_targets() -> list[str]:
    rows = rc.load_map(ROOT / rc.MAP)
    return sorted({ref for row in rows for ref in DOCS_REFERENCE.findall(row.new)})


def test_the_map_loads_and_every_row_rewrites_an_old_citation() -> None:
    rows = rc.load_map(ROOT / rc.MAP)
    assert len(rows) > 100
    for row in rows:
        # A bare "§n" continues a citation of the spec ("SPEC.md §1 … and §5"); each such row names its file.
        bare = re.match(r"§\d", row.old) is not None and row.path is not None
        assert rc.OLD_CITATION.search(row.old) or bare, f"{row.old!r} is not a citation of an old document"
        assert DOCS_REFERENCE.search(row.new), f"{row.new!r} names no docs page"


@pytest.mark.parametrize("reference", _map_targets())
def test_every_page_and_heading_the_map_names_exists(reference: str) -> None:
    page, anchor = resolve(reference, ROOT)
    assert page.is_file(), f"{reference}: no such page (a folder needs a README.md)"
    if anchor:
        assert anchor in anchors_of(page), f"{reference}: no heading with anchor #{anchor} in {page.name}"


def test_every_relative_link_between_the_docs_pages_resolves() -> None:
    broken = []
    for page in sorted([*DOCS.rglob("*.md"), ROOT / "README.md"]):
        for target in LINK.findall(page.read_text(encoding="utf-8")):
            file, anchor = (page, target[1:]) if target.startswith("#") else resolve(target, page.parent)
            if not file.exists() or (anchor and file.suffix == ".md" and anchor not in anchors_of(file)):
                broken.append(f"{page.relative_to(ROOT)} → {target}")
    assert broken == []


def test_the_anchor_rule_is_githubs() -> None:
    assert github_anchor("P9. No office can hurt another") == "p9-no-office-can-hurt-another"
    assert github_anchor("One office, one gateway") == "one-office-one-gateway"
    assert github_anchor("What identifies an application (spec §1)") == "what-identifies-an-application-spec-1"
    assert github_anchor("The contract's interface: `ABI`") == "the-contracts-interface-abi"


ROWS = """old\tpath\tline\tnew
SPEC.md §2 "Batch entries"\t\t\tdocs/spec/entries.md#batch-entry-layout
SPEC.md §2\t\t(?i)merkle\tdocs/spec/entries.md#merkle-tree
SPEC.md §2\tregistry/domain/\t\tdocs/spec/entries.md#field-encodings
SPEC.md §2\t\t\tdocs/spec/entries.md
DESIGN.md property 1\t\t\tdocs/design.md#p1-nothing-unpublished-is-readable
DESIGN.md property 10\t\t\tdocs/design.md#p10-no-request-can-take-the-gateway-down
"""


def _rows(tmp_path: Path) -> list[object]:
    (tmp_path / "map.tsv").write_text(ROWS, encoding="utf-8")
    rows: list[object] = rc.load_map(tmp_path / "map.tsv")
    return rows


def test_the_longest_old_text_and_the_first_matching_row_win(tmp_path: Path) -> None:
    rows = _rows(tmp_path)
    text = (
        '# The layout (SPEC.md §2 "Batch entries").\n'
        "# The Merkle root (SPEC.md §2).\n"
        "# A date (SPEC.md §2).\n"
        "# DESIGN.md property 10 and DESIGN.md property 1.\n"
    )
    new, changes = rc.rewrite_text(text, "registry/domain/x.py", rows)
    assert new == (
        "# The layout (docs/spec/entries.md#batch-entry-layout).\n"
        "# The Merkle root (docs/spec/entries.md#merkle-tree).\n"
        "# A date (docs/spec/entries.md#field-encodings).\n"
        "# docs/design.md#p10-no-request-can-take-the-gateway-down and "
        "docs/design.md#p1-nothing-unpublished-is-readable.\n"
    )
    assert [change.line for change in changes] == [1, 2, 3, 4, 4]
    assert rc.rewrite_text(text, "api/x.py", rows)[0].splitlines()[2] == "# A date (docs/spec/entries.md)."


def test_a_citation_wrapped_over_two_lines_is_found_and_joined(tmp_path: Path) -> None:
    text = '"""Entries (one encoding per entry, SPEC.md\n    §2) and more."""\n'
    new, changes = rc.rewrite_text(text, "api/x.py", _rows(tmp_path))
    assert new == '"""Entries (one encoding per entry, docs/spec/entries.md) and more."""\n'
    assert len(changes) == 1


def test_a_second_run_changes_nothing(tmp_path: Path) -> None:
    rows = _rows(tmp_path)
    once, _ = rc.rewrite_text("see SPEC.md §2 and DESIGN.md property 1\n", "x.md", rows)
    twice, changes = rc.rewrite_text(once, "x.md", rows)
    assert twice == once and changes == []


def test_a_replacement_that_holds_an_old_citation_is_refused(tmp_path: Path) -> None:
    (tmp_path / "map.tsv").write_text("old\tpath\tline\tnew\nAPI.md\t\t\tdocs/API.md\n", encoding="utf-8")
    with pytest.raises(rc.MapError, match="holds an old citation"):
        rc.load_map(tmp_path / "map.tsv")


def test_prose_pushed_past_the_limit_is_wrapped_and_code_is_split(tmp_path: Path) -> None:
    mark = "docs/design.md#p10-no-request-can-take-the-gateway-down"
    words = " ".join(["word"] * 20)
    text = (
        "def f() -> None:\n"
        f'    """{words} ({mark}) {words}.\n'
        "\n"
        "    More.\n"
        '    """\n'
        f"    # {words} ({mark}) {words}\n"
        "    # and the end of the comment.\n"
        f'    g(description="{words} ({mark}) {words}.")\n'
        f"    result = some_function(alpha, beta, gamma, delta, epsilon)  # see ({mark})\n"
    )
    assert sum(len(line) > rc.LIMIT for line in text.splitlines()) == 4
    new = rc.mend_code_lines(rc.wrap_long_lines(text, (mark,)), (mark,))
    ast.parse(new)
    assert max(len(line) for line in new.splitlines()) <= rc.LIMIT
    assert "    # and the end of the comment." not in new  # the comment's tail joined its next line
    assert new.count(mark) == 4
    assert "\n    More.\n" in new  # the next paragraph of the docstring is left alone
    assert f"    # see ({mark})\n    result = some_function(alpha, beta, gamma, delta, epsilon)\n" in new


def _copy_of_the_repository(tmp_path: Path) -> Path:
    copy = tmp_path / "repo"
    ignore = shutil.ignore_patterns(
        ".git", ".venv", "node_modules", "__pycache__", "*.egg-info", "build", ".*_cache", "test-output", "state*"
    )
    for name in (*rc.DEFAULT_TARGETS, "pyproject.toml"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=ignore)
        elif source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    return copy


def test_after_the_rewrite_no_citation_of_the_old_documents_remains(tmp_path: Path) -> None:
    copy = _copy_of_the_repository(tmp_path)
    assert rc.main(["--root", str(copy)]) == 0

    left = []
    for file in rc._files(copy, rc.DEFAULT_TARGETS):
        text = file.read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            if rc.OLD_CITATION.search(line):
                left.append(f"{file.relative_to(copy)}:{number}: {line.strip()}")
    assert left == []

    for file in sorted(copy.rglob("*.py")):
        ast.parse(file.read_text(encoding="utf-8"), filename=str(file))  # still Python

    # Idempotent: the second run finds nothing to change.
    changes, long_lines = rc.rewrite_tree(copy, write=False)
    assert changes == [] and long_lines == []


def test_the_rewritten_copy_passes_the_line_length_and_format_checks(tmp_path: Path) -> None:
    ruff = rc._ruff()
    if ruff is None:
        pytest.fail("ruff is a dev dependency (pyproject.toml) and must be installed")
    copy = _copy_of_the_repository(tmp_path)
    rc.rewrite_tree(copy)
    lint = subprocess.run(
        [ruff, "check", "--select", "E501", "--no-cache", "registry", "api", "scripts", "tests"],
        cwd=copy,
        capture_output=True,
        text=True,
        check=False,
    )
    assert lint.returncode == 0, lint.stdout
    check = [ruff, "format", "--check", "--no-cache", "registry", "api"]
    formatted = subprocess.run(check, cwd=copy, capture_output=True, text=True, check=False)
    assert formatted.returncode == 0, formatted.stdout


def test_the_repository_itself_cites_only_docs() -> None:
    # The rewrite has been applied: a new citation of the old documents fails here, not in review.
    changes, _ = rc.rewrite_tree(ROOT, write=False)
    assert [f"{c}" for c in changes] == []
