"""Import a file of filings: CSV or JSON Lines, anchored in batches (``prioreg import``).

Columns (CSV header, or JSON keys — the names of the filing body of docs/api.md#anchoring-a-filing):

``applicationNumber`` (required), ``filingDate`` (``YYYY-MM-DD``, required), ``ipRightKind``
(``patent``, ``utilityModel``, ``design``, ``trademark``; default ``patent``), ``accessCode``
(optional: derived from the office's seed when absent), ``documentDigest`` (optional, 64 hex),
``priorityClaims`` — in JSON a list of ``{ipOfficeCode, applicationNumber, filingDate, accessCode}``;
in CSV one cell ``OFFICE|NUMBER|DATE|CODE`` per claim, claims separated by ``;``.

Rows are read in chunks of ``batch_size``. A chunk is prepared completely before anything is sent:
a bad row is reported with its line number and nothing from that chunk is anchored (the other
chunks go on). Rows the index already holds are skipped, so a re-run after a failure anchors only
what is missing — with derived access codes the same row always has the same commitment.

Rows are checked as the API checks a filing (:meth:`RegistryService.prepare`): an ``accessCode``
column must pass the strength rule (``weakAccessCode``), dates must be plausible
(``notAPlausibleDate``: Paris Convention to the latest block's day + 1, no claim after its filing),
and the skip-or-send step runs under the office's write lock (:meth:`RegistryService.anchor_missing`).
A JSON line is read within the same limits as an HTTP body (:mod:`registry.domain.bounded_json`); a CSV
cell larger than the csv module's field limit is a refused row, not a crash.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from registry import errors
from registry.domain.bounded_json import loads as bounded_loads
from registry.domain.filings import ClaimInput, FilingInput, PreparedFiling
from registry.domain.types import IpRightKind, parse_date
from registry.service import RegistryService

__all__ = ["ImportReport", "RowError", "import_file", "read_rows"]

_MAX_FIELD = 256


@dataclass(frozen=True)
class RowError:
    """A row that was not anchored, and why."""

    line: int
    message: str
    code: str


@dataclass
class ImportReport:
    """What an import did."""

    rows: int = 0
    anchored: int = 0
    already_anchored: int = 0
    refused: list[RowError] = field(default_factory=list)
    held_back: list[tuple[int, int, int]] = field(
        default_factory=list
    )  # (first line, last line, rows) of refused batches
    transactions: int = 0
    gas_used: int = 0
    seconds: float = 0.0
    codes: list[tuple[str, str, str]] = field(default_factory=list)  # (canonical number, code, commitment)

    def to_json(self) -> dict[str, Any]:
        """A summary for machines (no access codes)."""
        return {
            "rows": self.rows,
            "anchored": self.anchored,
            "alreadyAnchored": self.already_anchored,
            "refused": [{"line": e.line, "code": e.code, "message": e.message} for e in self.refused],
            "heldBack": [{"firstLine": a, "lastLine": b, "rows": n} for a, b, n in self.held_back],
            "transactions": self.transactions,
            "gasUsed": self.gas_used,
            "seconds": round(self.seconds, 3),
            "filingsPerSecond": round(self.anchored / self.seconds, 1) if self.seconds else None,
        }


def _claims_from_cell(cell: str) -> list[dict[str, str]]:
    claims = []
    for part in cell.split(";"):
        if not part.strip():
            continue
        fields = [f.strip() for f in part.split("|")]
        if len(fields) != 4:
            raise errors.InvalidInput(
                "a priority claim cell is OFFICE|NUMBER|DATE|ACCESSCODE (claims separated by ';')",
                code="badClaim",
                target="priorityClaims",
            )
        office, number, date, code = fields
        claims.append({"ipOfficeCode": office, "applicationNumber": number, "filingDate": date, "accessCode": code})
    return claims


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | errors.InvalidInput]]:
    """Yield ``(line number, row dict or the error that made it unreadable)`` from a CSV or JSONL file."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        for line_no, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = bounded_loads(line, what="the line")
            except errors.InvalidInput as exc:
                yield line_no, exc
                continue
            if not isinstance(row, dict):
                yield line_no, errors.InvalidInput("each line must be a JSON object", code="badRow")
                continue
            yield line_no, row
        return
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "applicationNumber" not in reader.fieldnames:
        raise errors.InvalidInput(
            f"{path.name}: the CSV header must name at least applicationNumber and filingDate", code="badHeader"
        )
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # a cell past csv.field_size_limit(), a NUL byte, …
            yield reader.line_num, errors.InvalidInput(f"the CSV cannot be read here: {exc}", code="badRow")
            continue
        line_no = reader.line_num
        cell = row.get("priorityClaims") or ""
        try:
            parsed: dict[str, Any] = {
                k: v for k, v in row.items() if k and k != "priorityClaims" and v not in (None, "")
            }
            parsed["priorityClaims"] = _claims_from_cell(cell)
        except errors.InvalidInput as exc:
            yield line_no, exc
            continue
        yield line_no, parsed


def _text(row: dict[str, Any], key: str, *, required: bool = True) -> str | None:
    value = row.get(key)
    if value is None or value == "":
        if required:
            raise errors.InvalidInput(f"{key} is missing", code="required", target=key)
        return None
    if not isinstance(value, str) or len(value) > _MAX_FIELD:
        raise errors.InvalidInput(
            f"{key} must be a string of at most {_MAX_FIELD} characters", code="badType", target=key
        )
    return value


def filing_from_row(row: dict[str, Any]) -> FilingInput:
    """The filing a row describes (raises InvalidInput naming the column)."""
    unknown = set(row) - {
        "applicationNumber",
        "filingDate",
        "ipRightKind",
        "accessCode",
        "documentDigest",
        "priorityClaims",
    }
    if unknown:
        raise errors.InvalidInput(f"unknown column(s): {', '.join(sorted(unknown))}", code="unknownField")
    digest_text = _text(row, "documentDigest", required=False)
    digest = None
    if digest_text is not None:
        try:
            digest = bytes.fromhex(digest_text.removeprefix("0x"))
        except ValueError:
            digest = b""
        if len(digest) != 32:
            raise errors.InvalidInput(
                "documentDigest is 64 hex digits (SHA-256)", code="badDigest", target="documentDigest"
            )
    claims_raw = row.get("priorityClaims") or []
    if not isinstance(claims_raw, list):
        raise errors.InvalidInput("priorityClaims must be a list", code="badType", target="priorityClaims")
    claims = []
    for i, claim in enumerate(claims_raw):
        if not isinstance(claim, dict):
            raise errors.InvalidInput("each priority claim is an object", code="badType", target=f"priorityClaims[{i}]")
        claims.append(
            ClaimInput(
                str(_text(claim, "ipOfficeCode")),
                str(_text(claim, "applicationNumber")),
                parse_date(str(_text(claim, "filingDate"))),
                str(_text(claim, "accessCode")),
            )
        )
    return FilingInput(
        application_number=str(_text(row, "applicationNumber")),
        filing_date=parse_date(str(_text(row, "filingDate"))),
        ip_right_kind=IpRightKind.parse(_text(row, "ipRightKind", required=False) or "patent"),
        document_digest=digest,
        access_code=_text(row, "accessCode", required=False),
        priority_claims=tuple(claims),
    )


def import_file(
    service: RegistryService,
    office: str,
    path: Path,
    *,
    batch_size: int = 1000,
    progress: Callable[[int], None] | None = None,
    report: ImportReport | None = None,
) -> ImportReport:
    """Anchor every row of ``path`` for ``office``; see the module docstring for the rules.

    Raises :class:`~registry.errors.LedgerUnavailable` when the node goes away; what was
    acknowledged before stays anchored, and a re-run anchors only the rest. ``report``: filled in
    as batches are acknowledged, so that a caller still has what was anchored (and its access
    codes, shown nowhere else) when a later batch raises.
    """
    report = ImportReport() if report is None else report
    started = time.perf_counter()
    service.sync()
    chunk: list[tuple[int, dict[str, Any] | errors.InvalidInput]] = []

    def flush() -> None:
        _anchor_chunk(service, office, chunk, report)
        if progress:
            progress(len(chunk))
        chunk.clear()

    for line_no, row in read_rows(path):
        report.rows += 1
        chunk.append((line_no, row))
        if len(chunk) >= batch_size:
            flush()
    if chunk:
        flush()
    report.seconds = time.perf_counter() - started
    return report


def _anchor_chunk(
    service: RegistryService,
    office: str,
    chunk: list[tuple[int, dict[str, Any] | errors.InvalidInput]],
    report: ImportReport,
) -> None:
    prepared: list[tuple[int, PreparedFiling]] = []
    bad: list[RowError] = []
    seen: dict[bytes, int] = {}
    latest_day = service.chain.latest_block_day()  # once a chunk, not once a row
    for line_no, row in chunk:
        try:
            if isinstance(row, errors.InvalidInput):
                raise row
            (item,) = service.prepare(office, [filing_from_row(row)], latest_block_day=latest_day)
        except (errors.InvalidInput, errors.Forbidden) as exc:
            where = f" ({exc.target})" if isinstance(exc, errors.InvalidInput) and exc.target else ""
            code = exc.code if isinstance(exc, errors.InvalidInput) else "forbidden"
            bad.append(RowError(line_no, exc.message + where, code))
            continue
        if item.commitment in seen:
            bad.append(RowError(line_no, f"the same application as line {seen[item.commitment]}", "duplicateFiling"))
            continue
        seen[item.commitment] = line_no
        prepared.append((line_no, item))
    if bad:
        # All or nothing per batch: the office fixes the rows and runs the import again.
        report.refused.extend(bad)
        if prepared:
            report.held_back.append((chunk[0][0], chunk[-1][0], len(prepared)))
        return
    batches, fresh = service.anchor_missing(office, [p for _, p in prepared])
    report.already_anchored += len(prepared) - len(fresh)
    report.anchored += len(fresh)
    report.transactions += sum(1 for b in batches if b.transaction_hash)
    report.gas_used += sum(b.gas_used for b in batches)
    report.codes.extend((p.number.canonical, str(p.access_code), "0x" + p.commitment.hex()) for p in fresh)
