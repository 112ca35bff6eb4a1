"""The whole story on the embedded chain, printed for a person (``prioreg demo`` / ``make demo``).

Deploy the registry; admit JP, US, EP and CN; the JPO anchors a first filing as a commitment that
reveals nothing; the USPTO files on time and the EPO a month late (restorable, PCT Rule 26bis.3),
both claiming it; the CNIPA files a design claiming the JP patent (flagged: Paris Art. 4E is for
utility models, design ← patent is national law); an examiner mistypes the access code (caught by
the check character before the ledger is asked) and then tries a well-formed wrong one (notFound,
the same answer as an unknown application); the JPO shares its search report inside the family
before anything is published (R15): the USPTO reads it, the KIPO, outside the family, gets the same
answer as for an unknown application, and the JPO sees who read it; the EPO retrieves the JPO's priority document
with the applicant's code and verifies it against the ledger (valid, current), the JPO amends it (a new package
version) and the old package is still valid but no longer current (R26); the JPO publishes; the family is printed and
drawn.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from registry.domain.commitments import to_hex
from registry.domain.filings import ClaimInput, FilingInput
from registry.domain.rules import LaterApplication, Verification
from registry.domain.types import IpRightKind
from registry.errors import InvalidInput
from registry.index import Index
from registry.ledger.chain import Chain
from registry.ledger.client import deploy
from registry.service import FilingOutcome, RegistryService
from registry.service.family_view import family_view
from registry.service.packages import PackageVerification

__all__ = ["DEMO_OFFICES", "run_demo", "start_demo_service"]

DEMO_OFFICES = ("JP", "US", "EP", "CN", "KR")


def start_demo_service(offices: tuple[str, ...] = DEMO_OFFICES) -> RegistryService:
    """Deploy on a new embedded chain and admit ``offices``, each with a fresh key and seed."""
    chain = Chain.embedded()
    registrar = deploy(chain, chain.new_account())
    service = RegistryService(chain, Index(":memory:", chain, registrar.address), registrar.address)
    for code in offices:
        key = chain.new_account()
        registrar.admit_office(code, key.address)
        service.add_office(code, key, secrets.token_bytes(32))
    return service


def _verdict_style(verdict: str) -> str:
    return {"valid": "green", "restorable": "yellow", "invalid": "red", "notFound": "magenta"}.get(verdict, "white")


def _show_verification(console: Console, title: str, result: Verification) -> None:
    verdict = result.verdict.value
    table = Table(title=f"{title} → [bold {_verdict_style(verdict)}]{verdict}[/]", title_justify="left")
    for column in ("check", "passed", "severity", "message"):
        table.add_column(column, overflow="fold")
    for check in result.checks:
        severity = "" if check.passed else check.severity.value
        table.add_row(check.name, "✓" if check.passed else "✗", severity, check.message)
    console.print(table)
    if result.priority_period_end:
        extra = f", restoration until {result.restoration_period_end}" if result.restoration_period_end else ""
        console.print(f"  priority period ends {result.priority_period_end}{extra}")


def _anchored(console: Console, who: str, outcome: FilingOutcome) -> None:
    p = outcome.prepared
    console.print(
        f"  [bold]{who}[/] anchored {p.number.display} ({p.entry.kind.api_name}, filed {p.entry.filing_date}) "
        f"→ {to_hex(p.commitment)[:18]}… in block {outcome.ledger.block_number}"
    )
    for claim, verification in zip(p.claims, outcome.claim_verifications, strict=True):
        verdict = verification.verdict.value
        warnings = [c.name for c in verification.checks if not c.passed and c.severity.value == "warning"]
        flagged = f" [yellow](flagged: {', '.join(warnings)})[/]" if warnings else ""
        console.print(
            f"    claims {claim.number.office} {claim.number.display} of {claim.filing_date}: "
            f"[{_verdict_style(verdict)}]{verdict}[/]{flagged}"
        )


def _share_reports(console: Console, service: RegistryService, jp: FilingOutcome, us: FilingOutcome) -> bool:
    """Step 4 (R15): a search report read inside the family before publication, and by nobody else."""
    import tempfile

    from registry.errors import NotFound
    from registry.service.files import FileStore
    from registry.service.gateway_requests import GatewaySender, directory_endpoints
    from registry.service.reports import REPORT_KINDS, ReportBook, Reports

    console.rule("4. Work-sharing before publication: the JPO's search report, inside the family only (R15)")
    service.sync()  # the JPO confirms the claims on its application: the links become confirmed
    with tempfile.TemporaryDirectory(prefix="prioreg-demo-") as tmp:
        book = ReportBook(":memory:")
        reports = Reports(service, FileStore(Path(tmp)), book, GatewaySender(directory_endpoints(service.index)))
        text = (
            "JPO search report, JP 2017-187096: documents D1 JP2015-012345 A (X, claims 1-3), D2 US 9,000,000 B2 (Y)."
        )
        anchored = reports.anchor(
            "JP",
            jp.prepared.commitment,
            text.encode(),
            "text/plain",
            REPORT_KINDS["searchReport"],
            dt.date(2018, 5, 10),
        )
        report_id = anchored.report.report_id
        console.print(
            f"  JP anchored a search report of its application: the file stays with the JPO, its SHA-256 "
            f"{anchored.sha256[:12]}… is bound on the ledger (report {to_hex(report_id)[:18]}…, "
            f"block {anchored.ledger.block_number})."
        )
        listed = reports.family_reports("US", us.prepared.commitment)
        got = reports.retrieve("US", report_id)
        console.print(
            f"  The USPTO, whose application claims the JP one, lists {len(listed)} report(s) of the family and reads"
            f" this one — checked against the ledger — before either application is published:"
        )
        console.print(f"    [italic]{got.data.decode()}[/]")
        kr = service.anchor("KR", FilingInput("10-2018-0012345", dt.date(2018, 2, 1), IpRightKind.PATENT))
        try:
            reports.family_reports("KR", jp.prepared.commitment)
            console.print("[red]  an office outside the family listed its reports[/]")
            return False
        except NotFound as exc:
            console.print(
                f"  The KIPO, with {kr.prepared.number.display} outside the family, asks too: [magenta]404[/] "
                f"[italic]{exc.message[:60]}…[/] — the answer an unknown application gets."
            )
        try:
            reports.accesses("US", report_id)
            console.print("[red]  an office other than the JPO saw the report's accesses[/]")
            return False
        except NotFound:
            pass
        accesses = reports.accesses("JP", report_id)
        table = Table(title="Who read the JPO's report (shown to the JPO only)", title_justify="left")
        for column in ("office", "at", "through its application"):
            table.add_column(column)
        for access in accesses:
            table.add_row(access.office, access.at, to_hex(access.through)[:18] + "…")
        console.print(table)
        book.close()
        return [a.office for a in accesses] == ["US"] and got.sha256 == anchored.sha256


def _priority_documents(console: Console, service: RegistryService, jp: FilingOutcome) -> bool:
    """Step 5 (R26, docs/api.md#priority-documents): what DAS does, on the ledger.

    The JPO's second package is the amendment that, on a gateway, the ``priorityDocumentAmended`` notification tells
    the EPO of (docs/api.md#notifications: every office in the holder's access log of an earlier version,
    :meth:`registry.service.priority_documents.PackageBook.accesses`); this demo shows the package's own answer, that
    the old version is no longer current.
    """
    import tempfile

    from registry.service.files import FileStore
    from registry.service.gateway_requests import GatewaySender, directory_endpoints
    from registry.service.packages import verify_package
    from registry.service.priority_documents import PackageBook, PriorityDocuments

    console.rule("5. The EPO retrieves the JPO's priority document with the applicant's code (R26)")
    code = str(jp.prepared.access_code)
    filed = [("application.pdf", "application/pdf", b"%PDF-1.7 JP 2017-187096 as filed")]
    with tempfile.TemporaryDirectory(prefix="prioreg-demo-") as tmp:
        book = PackageBook(":memory:")
        desk = PriorityDocuments(service, FileStore(Path(tmp)), book, GatewaySender(directory_endpoints(service.index)))
        first = desk.create("JP", jp.prepared.commitment, "2017-187096", code, filed)
        console.print(
            f"  JP built, signed and anchored the priority document as version {first.version} of its application "
            f"(manifest SHA-256 {first.manifest_sha256.hex()[:12]}…, block {first.ledger.block_number})."
        )
        got = desk.retrieve("EP", "JP", "2017-187096", dt.date(2017, 9, 27), code)
        checked = verify_package(service.chain, service.contract, got.data, code)
        _show_package(console, "The EPO verifies the package it retrieved", checked)
        amended = desk.create(
            "JP", jp.prepared.commitment, "2017-187096", code, [*filed, ("errata.txt", "text/plain", b"p. 3")]
        )
        console.print(f"  JP amends the document: a new package, version {amended.version} of the application.")
        old = verify_package(service.chain, service.contract, got.data, code)
        _show_package(console, "The EPO checks the package it holds again", old)
        accesses = [(a.office, a.version) for a in desk.accesses("JP", jp.prepared.commitment)]
        console.print(f"  The JPO's log of who retrieved which version: {accesses}")
        from registry.index.notifications import NotificationKind
        from registry.service.notifications import page

        service.sync()
        told = [
            n
            for n in page(service.index, "EP", None, 1000, book.retrieved_by("EP")).notifications
            if n.kind == NotificationKind.PRIORITY_DOCUMENT_AMENDED and n.commitment == jp.prepared.commitment
        ]
        if told:
            console.print(
                f"  The EPO is told: [bold]priorityDocumentAmended[/] for JP's application in block "
                f"{told[0].block_number} (GET /v1/notifications) — where DAS sends an e-mail."
            )
        book.close()
    return (
        checked.valid
        and checked.current
        and old.valid
        and not old.current
        and accesses == [("EP", first.version)]
        and len(told) == 1
    )


def _show_package(console: Console, title: str, answer: PackageVerification) -> None:
    state = "valid" if answer.valid else "invalid"
    current = "current" if answer.current else f"not current (the application is at version {answer.current_version})"
    style = "green" if answer.valid and answer.current else "yellow" if answer.valid else "red"
    table = Table(title=f"{title} → [bold {style}]{state}, {current}[/]", title_justify="left")
    for column in ("check", "passed", "message"):
        table.add_column(column, overflow="fold")
    for check in answer.checks:
        table.add_row(check.name, "✓" if check.passed else "✗", check.message)
    console.print(table)


def _tell_the_uspto(console: Console, service: RegistryService, ep: FilingOutcome) -> bool:
    """The USPTO's notifications (docs/api.md#notifications): what happened in its family, from its own index."""
    from registry.index.notifications import NotificationKind
    from registry.service.notifications import page

    service.sync()
    told = page(service.index, "US", None, 100).notifications
    table = Table(title="What the USPTO is told about its family (GET /v1/notifications)", title_justify="left")
    for column in ("what happened", "office", "application", "block"):
        table.add_column(column)
    for n in told:
        commitment = "every office" if n.commitment is None else to_hex(n.commitment)[:18] + "…"
        table.add_row(NotificationKind(n.kind).label, n.office, commitment, str(n.block_number))
    console.print(table)
    joined = [
        n for n in told if n.kind == NotificationKind.FAMILY_MEMBER_ADDED and n.commitment == ep.prepared.commitment
    ]
    console.print(
        "  The EPO's application joined the family by its claim: the USPTO is told, with no e-mail and before"
        " anything is published."
        if joined
        else "[red]  the USPTO was not told of the EPO's application[/]"
    )
    return bool(joined)


def run_demo(console: Console | None = None, *, svg_path: Path | None = Path("family.svg")) -> int:
    """Run the story; returns the process exit code (0 when every step went as the rules say)."""
    console = console or Console()
    started = time.perf_counter()
    console.rule("[bold]Priority registry — the whole story on the embedded chain")
    service = start_demo_service()
    console.print(
        f"Registry deployed at {service.contract} (chain id {service.chain.chain_id}); "
        f"offices admitted: {', '.join(service.writable_offices())}"
    )

    console.rule("1. The JPO anchors a first filing: a commitment that reveals nothing")
    jp = service.anchor("JP", FilingInput("特願2017-187096", dt.date(2017, 9, 27), IpRightKind.PATENT))
    _anchored(console, "JP", jp)
    code = str(jp.prepared.access_code)
    console.print(f"  The applicant receives the access code [bold]{code}[/] (80 bits + a check character).")

    console.rule("2. Later filings claim its priority")
    claim = ClaimInput("JP", "2017-187096", dt.date(2017, 9, 27), code)
    us = service.anchor(
        "US", FilingInput("16/123,456", dt.date(2018, 9, 6), IpRightKind.PATENT, priority_claims=(claim,))
    )
    _anchored(console, "US (on time)", us)
    ep = service.anchor(
        "EP", FilingInput("EP 18 195 432.2", dt.date(2018, 10, 29), IpRightKind.PATENT, priority_claims=(claim,))
    )
    _anchored(console, "EP (a month late)", ep)
    cn = service.anchor(
        "CN", FilingInput("201830123456.6", dt.date(2018, 3, 20), IpRightKind.DESIGN, priority_claims=(claim,))
    )
    _anchored(console, "CN (a design claiming a patent)", cn)

    console.rule("3. Examiners verify claims in one call")
    _show_verification(
        console,
        "EPO examiner checks the JP claim",
        service.verify(claim, LaterApplication("EP", dt.date(2018, 10, 29), IpRightKind.PATENT)),
    )
    _show_verification(
        console,
        "CNIPA examiner checks the design's claim",
        service.verify(claim, LaterApplication("CN", dt.date(2018, 3, 20), IpRightKind.DESIGN)),
    )
    typo = code[:-3] + ("8" if code[-3] != "8" else "9") + code[-2:]
    try:
        service.verify(
            ClaimInput("JP", "2017-187096", dt.date(2017, 9, 27), typo),
            LaterApplication("US", dt.date(2018, 9, 6), IpRightKind.PATENT),
        )
        console.print("[red]  a mistyped access code was not caught[/]")
        return 1
    except InvalidInput as exc:
        console.print(
            f"  A mistyped access code is caught at entry, before the ledger is asked: [italic]{exc.message}[/]"
        )
    wrong = service.verify(
        ClaimInput("JP", "2017-187096", dt.date(2017, 9, 27), "0000-0000-0000-0000-0"),
        LaterApplication("US", dt.date(2018, 9, 6), IpRightKind.PATENT),
    )
    console.print(
        f"  A well-formed but wrong access code: [{_verdict_style(wrong.verdict.value)}]{wrong.verdict.value}[/] "
        "— exactly what an unknown application gets, so the answer reveals nothing."
    )

    if not _share_reports(console, service, jp, us):
        return 1
    if not _tell_the_uspto(console, service, ep):
        return 1
    if not _priority_documents(console, service, jp):
        return 1

    console.rule("6. The JPO publishes; the family was visible before that")
    commitment, number, ack = service.publish("JP", "2017-187096", code)
    console.print(f"  JP revealed {number} for {to_hex(commitment)[:18]}… in block {ack.block_number}")
    family = family_view(service.index, us.prepared.commitment).body()
    simple = set(family["simpleFamily"])
    table = Table(title="The extended family of US 16/123,456 (earliest first)", title_justify="left")
    for column in ("office", "kind", "filed", "number (once published)", "simple family", "commitment"):
        table.add_column(column)
    for m in family["extendedFamily"]:
        table.add_row(
            m["ipOfficeCode"] or "?",
            m["ipRightKind"] or "?",
            m["filingDate"] or "?",
            m["applicationNumber"] or "—",
            "yes" if m["commitment"] in simple else "",
            m["commitment"][:18] + "…",
        )
    console.print(table)
    if svg_path is not None:
        from registry.domain.family_svg import family_svg

        svg_path.write_text(family_svg(family), encoding="utf-8")
        console.print(f"  The family picture is in {svg_path}")

    verdicts = [v.verdict.value for o in (us, ep, cn) for v in o.claim_verifications]
    expected = ["valid", "restorable", "valid"]
    ok = verdicts == expected and wrong.verdict.value == "notFound"
    console.print(
        f"Done in {time.perf_counter() - started:.1f} s." if ok else f"[red]unexpected verdicts {verdicts}[/]"
    )
    return 0 if ok else 1
