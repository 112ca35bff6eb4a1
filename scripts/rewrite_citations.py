#!/usr/bin/env python3
"""Rewrite citations of the old specifications into citations of ``docs/`` (issue 14 item 9).

Code, comments and messages used to cite ``SPEC.md §n``, ``API.md``, ``DESIGN.md``, ``DOMAIN.md``
and ``STYLE.md``: files that lived outside the repository, in ``../shared/``. Their content is now
the repository's own ``docs/``, and ``docs/citations.tsv`` maps every old citation to the page and
heading that says the same (``docs/spec/entries.md#uniqueness-is-per-office``). This script applies
the map in place.

- **Which row.** For one old text, the first row whose ``path`` and ``line`` expressions match (the
  file's path relative to the root, the line or lines the citation stands on) wins; longer old texts
  are tried before shorter ones, so ``SPEC.md §2 "Batch entries"`` is never read as ``SPEC.md §2``.
- **Line breaks.** A space in an old text also matches a line break with its indentation, so a
  citation wrapped inside a docstring is found; the replacement joins it onto one line.
- **Line length.** A citation of ``docs/`` is longer than the old one, and ruff allows
  :data:`LIMIT` characters a line. In a Python file a line the rewrite pushed past it is mended: a
  comment or docstring line is wrapped (its tail moves to the start of the next line of the same
  paragraph, or to a new line); a trailing comment moves onto its own line above the code; a string
  inside brackets is split in two adjacent literals; then ``ruff format`` (when installed) formats
  the files of :data:`FORMATTED` it changed, as ``make lint`` checks them. What is still too long is
  listed at the end.
- **Idempotent.** No replacement contains an old text, so a second run changes nothing.
- **What it reads.** By default the repository's sources and documents (:data:`DEFAULT_TARGETS`);
  never the map itself, this script or its test, which must name the old texts.

Usage::

    python scripts/rewrite_citations.py [--root DIR] [--check] [PATH ...]

Prints one line per replacement (``path:line: old → new``) and a count. ``--check`` writes nothing
and exits 1 when something would change. Exit 2 when the map is malformed.
"""

from __future__ import annotations

import argparse
import functools
import io
import re
import shutil
import subprocess
import sys
import tokenize
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAP = Path("docs/citations.tsv")

#: What a run without paths rewrites (relative to the root): sources, tests, contracts, documents.
DEFAULT_TARGETS = (
    "registry",
    "api",
    "tests",
    "scripts",
    "contracts",
    "docs",
    "README.md",
    "SECURITY.md",
    "BENCHMARKS.md",
    "CHANGELOG.md",
    "Makefile",
    "pyproject.toml",
)

#: Files that must keep the old texts: the map, this script and the test of both.
EXCLUDED = frozenset({"docs/citations.tsv", "scripts/rewrite_citations.py", "tests/docs/test_citations.py"})

#: Folders never entered (build outputs, dependencies, caches).
SKIPPED_DIRS = frozenset(
    {".git", ".venv", "node_modules", "build", "dist", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"}
)

#: Files read as text; anything else is left alone.
TEXT_SUFFIXES = frozenset(
    {".py", ".sol", ".md", ".json", ".toml", ".txt", ".cfg", ".ini", ".yaml", ".yml", ".mjs", ".js", ".css", ".html"}
    | {".conf", ".service", ".sh", ".tsv", ".csv", ".jsonl"}
)
TEXT_NAMES = frozenset({"Makefile", "Dockerfile", "Caddyfile"})

#: ruff's line-length for this repository (pyproject.toml).
LIMIT = 120

#: The folders ``make lint`` runs ``ruff format --check`` on.
FORMATTED = ("registry/", "api/")

#: The old texts as such, whatever the map says: what must not remain after a run (see the test).
OLD_CITATION = re.compile(r"(?<![\w/.-])(?:SPEC|API|DESIGN|DOMAIN|STYLE)\.md\b|(?<![\w/.-])SPEC §|\.\./shared/")


@dataclass(frozen=True)
class Row:
    """One row of the map: ``old`` becomes ``new`` where ``path`` and ``line`` match."""

    old: str
    path: re.Pattern[str] | None
    line: re.Pattern[str] | None
    new: str

    def applies(self, path: str, line: str) -> bool:
        return (self.path is None or bool(self.path.search(path))) and (
            self.line is None or bool(self.line.search(line))
        )


@dataclass(frozen=True)
class LongLine:
    """A code line the rewrite left longer than :data:`LIMIT` (prose lines are wrapped instead)."""

    path: str
    line: int
    length: int


@dataclass(frozen=True)
class Change:
    """One replacement made (or, with ``--check``, that would be made)."""

    path: str
    line: int
    old: str
    new: str


class MapError(ValueError):
    """Raised when the citation map is malformed (a bad row, a bad expression, an unsafe replacement)."""


def load_map(file: Path) -> list[Row]:
    """Read the map: ``#`` comment lines, a header ``old path line new``, then one row a line."""
    rows: list[Row] = []
    header_seen = False
    for number, raw in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip() or raw.startswith("#"):
            continue
        cells = raw.split("\t")
        if len(cells) != 4:
            raise MapError(f"{file}:{number}: expected 4 tab-separated cells, found {len(cells)}")
        if not header_seen:
            if cells != ["old", "path", "line", "new"]:
                raise MapError(f"{file}:{number}: the header must be 'old<TAB>path<TAB>line<TAB>new'")
            header_seen = True
            continue
        old, path, line, new = cells
        if not old or not new:
            raise MapError(f"{file}:{number}: old and new must not be empty")
        try:
            rows.append(Row(old, re.compile(path) if path else None, re.compile(line) if line else None, new))
        except re.error as exc:
            raise MapError(f"{file}:{number}: bad regular expression: {exc}") from exc
    if not rows:
        raise MapError(f"{file}: no rows")
    olds = {row.old for row in rows}
    for row in rows:
        # A replacement that still held an old citation would be rewritten again on the next run.
        if OLD_CITATION.search(row.new) or any(old in row.new for old in olds):
            raise MapError(f"{file}: the replacement {row.new!r} holds an old citation")
    return rows


@functools.lru_cache(maxsize=8)
def _patterns(olds: tuple[str, ...]) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(where an old text may start, every old text longest first); a space matches any white space."""
    parts = []
    for old in sorted(olds, key=len, reverse=True):
        body = r"\s+".join(re.escape(word) for word in old.split(" "))
        # Not inside a longer name (docs/api.md, XAPI.md), not a prefix of a longer number (§1 of §12).
        tail = r"(?![0-9])" if old[-1].isdigit() else ""
        parts.append(f"(?<![\\w/.-]){body}{tail}" if old[0].isalnum() else f"{body}{tail}")
    # One alternation of ~180 texts tried at every character is slow; their first words are few.
    firsts = sorted({old.split(" ")[0] for old in olds}, key=len, reverse=True)
    return re.compile("|".join(re.escape(first) for first in firsts)), re.compile("|".join(parts))


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def rewrite_text(text: str, path: str, rows: list[Row]) -> tuple[str, list[Change]]:
    """``text`` with every old citation replaced, and the changes, in order."""
    by_old: dict[str, list[Row]] = {}
    for row in rows:
        by_old.setdefault(row.old, []).append(row)
    starts, pattern = _patterns(tuple(sorted(by_old)))
    changes: list[Change] = []
    out: list[str] = []
    done = 0
    for start in starts.finditer(text):
        match = pattern.match(text, start.start()) if start.start() >= done else None
        if match is None:
            continue
        found = _normal(match.group(0))
        line_start = text.rfind("\n", 0, match.start()) + 1
        line_end = text.find("\n", match.end())
        context = text[line_start : len(text) if line_end < 0 else line_end]
        chosen = next((row for row in by_old[found] if row.applies(path, context)), None)
        if chosen is None:
            continue  # no row applies here: leave it for a person to map
        changes.append(Change(path, text.count("\n", 0, match.start()) + 1, found, chosen.new))
        out += [text[done : match.start()], chosen.new]
        done = match.end()
    out.append(text[done:])
    return "".join(out), changes


_BULLET = re.compile(r"(?:[-*•] |\d+\. )")


def _docstring_lines(text: str) -> set[int]:
    """The 0-based numbers of the lines that belong to a string standing alone as a statement (docstrings)."""
    lines: set[int] = set()
    previous = tokenize.NEWLINE
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.STRING and previous in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
                lines.update(range(token.start[0] - 1, token.end[0]))
            if token.type not in (tokenize.NL, tokenize.COMMENT):
                previous = token.type
    except (tokenize.TokenError, SyntaxError):
        return set()  # not Python after all: wrap nothing, report the long lines
    return lines


def _prose_prefix(line: str, in_docstring: bool) -> tuple[str, str] | None:
    """(prefix of this line, prefix of its continuation) for a prose line; None for a code line."""
    if in_docstring:
        indent = line[: len(line) - len(line.lstrip())]
        head = line[len(indent) :]
        quotes = re.match(r"[rRbBuU]?(\"\"\"|\'\'\')", head)
        text = head[quotes.end() :] if quotes else head
        first = indent + (quotes.group(0) if quotes else "")
    else:
        match = re.match(r"\s*#:?\s*", line)
        if match is None or not line.lstrip().startswith("#"):
            return None
        first = indent = match.group(0)
        text = line[len(first) :]
    bullet = _BULLET.match(text)
    return first, indent + (" " * len(bullet.group(0)) if bullet else "")


def _continues(line: str, prefix: str, in_docstring: bool) -> bool:
    """Whether ``line`` carries on the paragraph whose continuation lines start with ``prefix``."""
    if not line.startswith(prefix) or not line[len(prefix) :].strip():
        return False
    text = line[len(prefix) :]
    if text[0].isspace() or _BULLET.match(text) or text.startswith(('"""', "'''", "─", "=", "..")):
        return False
    return in_docstring or line.lstrip().startswith("#")


def _wrap(lines: list[str], index: int, docstrings: set[int], depth: int = 0) -> bool:
    """Wrap ``lines[index]`` to :data:`LIMIT`, pushing its tail into the paragraph; False if it cannot."""
    line = lines[index]
    in_docstring = index in docstrings
    prefixes = _prose_prefix(line, in_docstring)
    if prefixes is None or depth > 50:
        return False
    first, continuation = prefixes
    cut = line.rfind(" ", len(first) + 1, LIMIT + 1)
    if cut <= len(first) or not line[:cut].strip(" #"):
        return False
    head, tail = line[:cut].rstrip(), line[cut + 1 :].strip()
    lines[index] = head
    follows = index + 1 < len(lines) and (index + 1 in docstrings) == in_docstring
    closes = tail.endswith(('"""', "'''"))
    if follows and not closes and _continues(lines[index + 1], continuation, in_docstring):
        lines[index + 1] = continuation + tail + " " + lines[index + 1][len(continuation) :]
    else:
        lines.insert(index + 1, continuation + tail)
        shifted = {n + 1 if n > index else n for n in docstrings} | ({index + 1} if in_docstring else set())
        docstrings.clear()
        docstrings.update(shifted)
    if len(lines[index + 1]) > LIMIT:
        return _wrap(lines, index + 1, docstrings, depth + 1)
    return True


def wrap_long_lines(text: str, marks: tuple[str, ...]) -> str:
    """Wrap the prose lines of a Python file that hold an inserted citation and exceed :data:`LIMIT`."""
    lines = text.split("\n")
    docstrings = _docstring_lines(text)  # kept up to date by _wrap as it inserts lines
    index = 0
    while index < len(lines):  # not range(): _wrap inserts lines
        if len(lines[index]) > LIMIT and any(mark in lines[index] for mark in marks):
            _wrap(lines, index, docstrings)
        index += 1
    return "\n".join(lines)


def _split_code_line(lines: list[str], index: int, marks: tuple[str, ...]) -> bool:
    """Mend a code line: move a trailing comment up, or split a string literal inside brackets."""
    line = lines[index]
    indent = line[: len(line) - len(line.lstrip())]
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO("\n".join(lines) + "\n").readline))
    except (tokenize.TokenError, SyntaxError):
        return False
    depth = 0
    for token in tokens:
        if token.type == tokenize.OP and token.string in "([{":
            depth += 1
        elif token.type == tokenize.OP and token.string in ")]}":
            depth -= 1
        if token.start[0] - 1 != index or not any(mark in token.string for mark in marks):
            continue
        column = token.start[1]
        if token.type == tokenize.COMMENT and line[:column].strip():
            lines[index] = line[:column].rstrip()
            lines.insert(index, indent + token.string)
            return True
        quote = re.match(r"([rRuU]*)(\"|\')", token.string)
        if token.type != tokenize.STRING or depth <= 0 or quote is None or token.end[0] != token.start[0]:
            continue
        opening = quote.group(0)
        body = token.string[len(opening) : -1]
        cut = body.rfind(" ", 0, LIMIT - column - len(opening) - 1)
        if cut <= 0 or body[cut - 1] == "\\":
            return False
        head = opening + body[: cut + 1] + quote.group(2)
        tail = opening + body[cut + 1 :] + quote.group(2)
        lines[index] = line[:column] + head
        lines.insert(index + 1, " " * column + tail + line[token.end[1] :])
        return True
    return False


def _ruff() -> str | None:
    beside = Path(sys.executable).parent / "ruff"
    return str(beside) if beside.exists() else shutil.which("ruff")


def _format(root: Path, paths: list[str]) -> None:
    ruff = _ruff()
    if ruff and paths:
        subprocess.run([ruff, "format", "--quiet", *paths], cwd=root, check=False, capture_output=True)


def mend_code_lines(text: str, marks: tuple[str, ...]) -> str:
    """Split the code lines holding an inserted citation that are longer than :data:`LIMIT`."""
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        long = len(lines[index]) > LIMIT and any(mark in lines[index] for mark in marks)
        if long and _prose_prefix(lines[index], in_docstring=False) is not None:
            _wrap(lines, index, set())  # a comment line, moved up from the end of a code line
        elif long and _split_code_line(lines, index, marks):
            continue  # look at the same place again: what moved may still be long
        index += 1
    return "\n".join(lines)


def _long_lines(text: str, path: str, marks: tuple[str, ...]) -> list[LongLine]:
    return [
        LongLine(path, number, len(line))
        for number, line in enumerate(text.split("\n"), start=1)
        if len(line) > LIMIT and any(mark in line for mark in marks)
    ]


def _files(root: Path, targets: Iterable[str]) -> Iterator[Path]:
    for target in targets:
        base = root / target
        if base.is_file():
            candidates: Iterable[Path] = [base]
        elif base.is_dir():
            candidates = sorted(p for p in base.rglob("*") if p.is_file())
        else:
            continue
        for file in candidates:
            relative = file.relative_to(root)
            if set(relative.parts[:-1]) & SKIPPED_DIRS or relative.as_posix() in EXCLUDED:
                continue
            if file.suffix in TEXT_SUFFIXES or file.name in TEXT_NAMES:
                yield file


def rewrite_tree(
    root: Path, targets: Iterable[str] = DEFAULT_TARGETS, *, write: bool = True
) -> tuple[list[Change], list[LongLine]]:
    """Apply the map of ``root`` to the files under ``targets``; return every change and the code lines left long."""
    rows = load_map(root / MAP)
    marks = tuple(sorted({row.new for row in rows}, key=len, reverse=True))
    changes: list[Change] = []
    python: list[Path] = []
    for file in _files(root, targets):
        try:
            text = file.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # not text after all
        path = file.relative_to(root).as_posix()
        new_text, file_changes = rewrite_text(text, path, rows)
        if not file_changes:
            continue
        changes += file_changes
        if path.endswith(".py"):
            new_text = mend_code_lines(wrap_long_lines(new_text, marks), marks)
            python.append(file)
        if write:
            file.write_text(new_text, encoding="utf-8")
    if write:
        _format(
            root,
            [
                file.relative_to(root).as_posix()
                for file in python
                if file.relative_to(root).as_posix().startswith(FORMATTED)
            ],
        )
    long_lines: list[LongLine] = []
    for file in python:
        path = file.relative_to(root).as_posix()
        text = (
            file.read_text(encoding="utf-8")
            if write
            else mend_code_lines(
                wrap_long_lines(rewrite_text(file.read_text(encoding="utf-8"), path, rows)[0], marks), marks
            )
        )
        long_lines += _long_lines(text, path, marks)
    return changes, long_lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", help="files or folders relative to the root (default: the whole tree)")
    parser.add_argument("--root", type=Path, default=ROOT, help="the repository (default: this script's)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when something would change")
    args = parser.parse_args(argv)
    root: Path = args.root.resolve()
    try:
        changes, long_lines = rewrite_tree(root, args.paths or DEFAULT_TARGETS, write=not args.check)
    except MapError as exc:
        print(f"rewrite_citations: {exc}", file=sys.stderr)
        return 2
    for change in changes:
        print(f"{change.path}:{change.line}: {change.old} → {change.new}")
    files = len({change.path for change in changes})
    verb = "would change" if args.check else "changed"
    print(f"{verb} {len(changes)} citation(s) in {files} file(s)")
    for long_line in long_lines:
        print(f"{long_line.path}:{long_line.line}: still {long_line.length} > {LIMIT} characters; shorten it by hand")
    return 1 if args.check and changes else 0


if __name__ == "__main__":
    sys.exit(main())
