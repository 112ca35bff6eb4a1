"""``prioreg deploy | admit | anchor | import | verify | claims | family``: the ledger from a terminal.

Every command takes ``--state-dir`` (default ``./state``, or ``PRIOREG_STATE_DIR``) and
``--rpc-url`` (default: the durable embedded chain kept in the state directory). Passphrases come
from ``PRIOREG_KEY_PASSPHRASE`` or a prompt, never from the command line. ``--json`` prints
machine-readable output. Errors print one line and exit with status 2 (3 when the ledger is
unreachable: nothing unacknowledged was written, and the command can be run again).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from registry import errors
from registry.domain.offices import validate_office
from registry.domain.types import IpRightKind, parse_date
from registry.ops.lock import writer_lock
from registry.ops.state import Deployment, StateDir

# Only what `prioreg --help` needs is imported here: the rules, settings (pydantic), keys
# (eth-account) and deployment (web3) load inside the commands (issue 14: start-up < 0.5 s).
if TYPE_CHECKING:
    from registry.domain.filings import ClaimInput
    from registry.domain.rules import ParentRelation
    from registry.ops.config import Settings
    from registry.ops.deployment import OpenDeployment

__all__ = ["register"]

console = Console()
err = Console(stderr=True, soft_wrap=True)

StateOpt = Annotated[
    Path | None, typer.Option("--state-dir", help="State directory (keys, index, embedded chain). \\[default: ./state]")
]
RpcOpt = Annotated[
    str | None, typer.Option("--rpc-url", help="A JSON-RPC node (anvil, geth, Besu). Default: the embedded chain.")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]
OfficeOpt = Annotated[
    str, typer.Option("--office", help="The writing office's ST.3 code (its key must be in the state dir).")
]


def _settings(state_dir: Path | None, rpc_url: str | None, **extra: Any) -> Settings:
    from registry.ops.config import Settings

    values: dict[str, Any] = {k: v for k, v in extra.items() if v is not None}
    if state_dir is not None:
        values["state_dir"] = state_dir
    if rpc_url is not None:
        values["rpc_url"] = rpc_url
    return Settings(**values)


def _passphrase_into(settings: Settings, office: str) -> Settings:
    from registry.ops.keys import passphrase_from_env_or_prompt

    if settings.key_passphrase is None and not (StateDir(settings.state_dir).path / "demo-passphrase").exists():
        value = passphrase_from_env_or_prompt(office)
        return settings.model_copy(update={"key_passphrase": value})
    return settings


def _print(payload: Any, as_json: bool, table: Table | None = None) -> None:
    if as_json:
        print(json.dumps(payload, default=str))
    elif table is not None:
        console.print(table)
    else:
        for key, value in payload.items():
            console.print(f"{key:>22}: {value}", highlight=False)


def deploy_cmd(
    state_dir: StateOpt = None,
    rpc_url: RpcOpt = None,
    as_json: JsonOpt = False,
    delay: Annotated[
        int | None,
        typer.Option(
            "--delay", min=0, help="Governance delay in seconds. \\[default: 0 embedded / chain 31337, else 2 days]"
        ),
    ] = None,
) -> None:
    """Deploy the registry; the registrar key is made and kept encrypted in the state directory."""
    settings = _passphrase_into(_settings(state_dir, rpc_url), "registrar")
    with writer_lock(settings.state_dir, command="prioreg deploy"):
        _deploy(settings, as_json, delay)


def _deploy(settings: Settings, as_json: bool, delay: int | None = None) -> None:
    from registry.ledger.client import deploy
    from registry.ops.deployment import _registrar_key, begin_creation, open_chain, undo_creation

    state = StateDir(settings.state_dir).ensure()
    if state.deployment() is not None:
        raise errors.RegistryError(f"{state.path} already holds a deployment; use another --state-dir")
    # All or nothing: a failure removes the registrar key and journal it made (office keys made
    # beforehand with `prioreg keys create` stay).
    before = begin_creation(state, empty=False)
    try:
        chain = open_chain(settings, state)
        try:
            assert settings.key_passphrase is not None
            key = _registrar_key(state, settings.key_passphrase.get_secret_value(), create=True)
            if chain.funder is not None:
                chain.fund(key.address)
            elif chain.balance(key.address) == 0:
                raise errors.LedgerError(f"fund the registrar {key.address} (or set PRIOREG_FUNDER_KEY) and run again")
            registrar = deploy(chain, key, delay=delay)
            deployment = Deployment(
                chain.chain_id, registrar.address, key.address, settings.rpc_url, chain.block_number()
            )
            state.save_deployment(deployment)
            governance_delay = registrar.governance_delay()
        finally:
            chain.close()
    except BaseException:
        undo_creation(state, before)
        raise
    _print(
        {
            "contract": deployment.contract,
            "registrar": deployment.registrar,
            "chainId": deployment.chain_id,
            "governanceDelay": governance_delay,
        },
        as_json,
    )


def admit_cmd(
    office: Annotated[str, typer.Argument(help="The office to admit (ST.3 code).")],
    signer: Annotated[
        str | None, typer.Option("--signer", help="Its key's address. \\[default: the office key in the state dir]")
    ] = None,
    state_dir: StateOpt = None,
    rpc_url: RpcOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Admit an office to the directory (registrar only)."""
    from registry.ops.deployment import registrar_client
    from registry.ops.keys import KeyStore

    code = validate_office(office)
    settings = _passphrase_into(_settings(state_dir, rpc_url), "registrar")
    with writer_lock(settings.state_dir, command="prioreg admit"):
        client = registrar_client(settings)
        try:
            address = signer or KeyStore(StateDir(settings.state_dir).keys_dir).address(code)
            if client.chain.funder is not None:
                client.chain.fund(address)
            sent = client.admit_office(code, address)
        finally:
            client.chain.close()
    _print({"ipOfficeCode": code, "signer": address, "transactionHash": sent.transaction_hash}, as_json)


def _open(state_dir: Path | None, rpc_url: RpcOpt, office: str | None = None) -> OpenDeployment:
    """A writing office's deployment (the caller holds the writer lock), or, without ``office``, a read-only view."""
    from registry.ops.deployment import open_deployment

    settings = _settings(state_dir, rpc_url)
    if office is None:
        return open_deployment(settings, read_only=True)
    return open_deployment(_passphrase_into(settings, office))


def _state_of(state_dir: Path | None) -> Path:
    return _settings(state_dir, None).state_dir


def _claims(values: list[str]) -> tuple[ClaimInput, ...]:
    from registry.domain.filings import ClaimInput

    claims = []
    for value in values:
        parts = [p.strip() for p in value.split(",")]
        if len(parts) != 4:
            raise errors.InvalidInput(f"--claim takes OFFICE,NUMBER,DATE,ACCESSCODE, not {value!r}", code="badClaim")
        claims.append(ClaimInput(parts[0], parts[1], parse_date(parts[2]), parts[3]))
    return tuple(claims)


def _digest(value: str) -> bytes:
    """``--digest``: a SHA-256 as 64 hex digits (``0x`` allowed), as the API's ``documentDigest``."""
    try:
        raw = bytes.fromhex(value.removeprefix("0x"))
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise errors.InvalidInput(
            f"--digest {value!r}: give the document's SHA-256 as 64 hex digits",
            code="badDigest",
            target="documentDigest",
        )
    return raw


def anchor_cmd(
    office: OfficeOpt,
    number: Annotated[str, typer.Option("--number", help="The application number as the office writes it.")],
    filing_date: Annotated[str, typer.Option("--date", help="Filing date, YYYY-MM-DD.")],
    kind: Annotated[str, typer.Option("--kind", help="patent, utilityModel, design or trademark.")] = "patent",
    claim: Annotated[
        list[str] | None, typer.Option("--claim", help="A priority claim OFFICE,NUMBER,DATE,ACCESSCODE (repeatable).")
    ] = None,
    digest: Annotated[str | None, typer.Option("--digest", help="SHA-256 of the application document (hex).")] = None,
    access_code: Annotated[
        str | None,
        typer.Option(
            "--access-code",
            help="An access code the office chose (it must pass the strength rule); derived when left out.",
        ),
    ] = None,
    state_dir: StateOpt = None,
    rpc_url: RpcOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Anchor one application of the office, with its priority claims; prints its access code once."""
    from registry.domain.filings import FilingInput

    filing = FilingInput(
        number,
        parse_date(filing_date),
        IpRightKind.parse(kind),
        _digest(digest) if digest else None,
        access_code,
        _claims(claim or []),
    )
    with writer_lock(_state_of(state_dir), command="prioreg anchor"):
        opened = _open(state_dir, rpc_url, office)
        try:
            outcome = opened.service.anchor(validate_office(office), filing)
        finally:
            opened.service.chain.close()
    p = outcome.prepared
    payload = {
        "commitment": "0x" + p.commitment.hex(),
        "ipOfficeCode": p.office,
        "applicationNumber": p.number.canonical,
        "accessCode": str(p.access_code),
        "transactionHash": outcome.ledger.transaction_hash,
        "blockNumber": outcome.ledger.block_number,
        "claims": [v.verdict.value for v in outcome.claim_verifications],
    }
    _print(payload, as_json)


def import_cmd(
    file: Annotated[
        Path, typer.Argument(help="CSV (header row) or JSON Lines (.jsonl) of filings.", exists=True, dir_okay=False)
    ],
    office: OfficeOpt,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, max=10_000, help="Rows per batch.")] = 1000,
    codes_out: Annotated[
        Path | None, typer.Option("--codes-out", help="Write number, access code, commitment of anchored rows (0600).")
    ] = None,
    state_dir: StateOpt = None,
    rpc_url: RpcOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Anchor a file of filings in batches, with a progress bar and a summary.

    Columns: applicationNumber, filingDate, ipRightKind, accessCode (optional: derived from the
    office's seed), documentDigest (optional), priorityClaims (JSON list; in CSV one cell of
    OFFICE|NUMBER|DATE|CODE claims separated by ';'). A bad row is reported with its line number and
    nothing from its batch is anchored; rows already on the ledger are skipped, so a re-run after a
    failure anchors only what is missing.
    """
    # Both are checked before the state is touched: a file that cannot be read anchors nothing, and
    # the access codes of what is anchored are never lost to a --codes-out that cannot be written.
    total = _rows_in(file)
    codes = _CodesOut(codes_out) if codes_out is not None else None
    try:
        with writer_lock(_state_of(state_dir), command="prioreg import"):
            _import(file, total, office, batch_size, codes, state_dir, rpc_url, as_json)
    finally:
        if codes is not None:
            codes.close()


def _rows_in(file: Path) -> int:
    """How many rows ``file`` holds (for the progress bar); InvalidInput when it is not UTF-8 text."""
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise errors.InvalidInput(
            f"{file} is not UTF-8 text (byte {exc.start}): save it as UTF-8 CSV or JSON Lines", code="bodyUnreadable"
        ) from None
    except OSError as exc:
        raise errors.InvalidInput(f"{file} cannot be read: {exc.strerror}", code="bodyUnreadable") from None
    total = sum(1 for line in text.splitlines() if line.strip())
    return total - (0 if file.suffix.lower() in (".jsonl", ".ndjson", ".json") else 1)


class _CodesOut:
    """``--codes-out``, opened before anything is anchored and written once the import is done or has failed.

    A file that was there is left as it was when nothing new is anchored (a re-run of a finished
    import); one this command made is removed again in that case.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        existed = path.exists()
        try:
            self._fd: int | None = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        except OSError as exc:
            raise errors.InvalidInput(f"--codes-out {path}: {exc.strerror}", code="notAllowedValue") from None
        self._made = not existed
        self._written = False

    def write(self, codes: list[tuple[str, str, str]]) -> None:
        """Replace the file's content with the header and ``codes`` (number, access code, commitment)."""
        assert self._fd is not None
        os.ftruncate(self._fd, 0)
        with os.fdopen(self._fd, "w", encoding="utf-8", closefd=False) as fh:
            fh.write("applicationNumber,accessCode,commitment\n")
            fh.writelines(f"{n},{c},{h}\n" for n, c, h in codes)
        self._written = True

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        os.close(fd)
        if self._made and not self._written:
            self.path.unlink(missing_ok=True)


def _import(
    file: Path,
    total: int,
    office: str,
    batch_size: int,
    codes_out: _CodesOut | None,
    state_dir: Path | None,
    rpc_url: str | None,
    as_json: bool,
) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from registry.ops.importer import ImportReport, import_file

    opened = _open(state_dir, rpc_url, office)
    report = ImportReport()
    with Progress(
        TextColumn("[bold]import"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        disable=as_json or not err.is_terminal,
    ) as bar:
        task = bar.add_task("rows", total=max(total, 0))
        try:
            import_file(
                opened.service,
                validate_office(office),
                file,
                batch_size=batch_size,
                progress=lambda n: bar.advance(task, n),
                report=report,
            )
        finally:
            opened.service.chain.close()
            # Also when a later batch failed (the node went away): the codes of what was acknowledged
            # are shown nowhere else, and a re-run skips those rows.
            if codes_out is not None and report.codes:
                codes_out.write(report.codes)
    summary = report.to_json()
    if as_json:
        print(json.dumps(summary))
    else:
        table = Table(title=f"import of {file.name} for {office}")
        table.add_column("")
        table.add_column("", justify="right")
        for key in ("rows", "anchored", "alreadyAnchored", "transactions", "gasUsed", "seconds", "filingsPerSecond"):
            table.add_row(key, str(summary[key]))
        table.add_row("refused rows", str(len(report.refused)))
        table.add_row("held back (good rows of refused batches)", str(sum(n for _, _, n in report.held_back)))
        console.print(table)
        for row in report.refused[:50]:
            err.print(f"line {row.line}: {row.message}", highlight=False)
        for first, last, rows in report.held_back:
            err.print(
                f"lines {first}–{last}: {rows} good rows not anchored, their batch has a refused row", highlight=False
            )
    if report.refused:
        raise typer.Exit(1)


def verify_cmd(
    office: Annotated[str, typer.Option("--office", help="The earlier application's office (ST.3).")],
    number: Annotated[str, typer.Option("--number", help="The earlier application's number.")],
    filing_date: Annotated[str, typer.Option("--date", help="The claimed filing date, YYYY-MM-DD.")],
    code: Annotated[str, typer.Option("--code", help="The access code the applicant was given.")],
    later_office: Annotated[str, typer.Option("--later-office", help="The office of second filing.")],
    later_date: Annotated[str, typer.Option("--later-date", help="The later filing date.")],
    later_kind: Annotated[str, typer.Option("--later-kind", help="The later application's kind.")] = "patent",
    parent_date: Annotated[
        str | None,
        typer.Option(
            "--parent-date",
            help="For a divisional/continuation: the filing date of the first application in its chain"
            " that carried the claim (for a divisional of a divisional, the earliest).",
        ),
    ] = None,
    later_number: Annotated[
        str | None,
        typer.Option(
            "--later-number",
            help="The later application's number as written; a PCT number (PCT/CC…) is judged on receiving"
            " Office CC's calendar and the PCT Rules.",
        ),
    ] = None,
    parent_relation: Annotated[
        str | None,
        typer.Option("--parent-relation", help="divisional, continuation or continuationInPart (adds a warning)."),
    ] = None,
    state_dir: StateOpt = None,
    rpc_url: RpcOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Check one priority claim against the ledger and the Paris/PCT rules (exit 0 valid, 1 otherwise).

    Read-only: it takes no lock and writes nothing in the state directory (a gateway may be running on it).
    """
    from registry.domain.filings import ClaimInput
    from registry.domain.rules import LaterApplication

    later = LaterApplication.read(
        validate_office(later_office),
        parse_date(later_date),
        IpRightKind.parse(later_kind),
        parent_filing_date=parse_date(parent_date) if parent_date else None,
        application_number=later_number,
        parent_relation=_parent_relation(parent_relation),
    )
    opened = _open(state_dir, rpc_url)
    try:
        opened.service.sync()  # the in-memory copy of the index, up to the chain's head
        result, evidence = opened.service.verify_with_evidence(
            ClaimInput(office, number, parse_date(filing_date), code), later, later_number=later_number
        )
    finally:
        opened.service.chain.close()
    from registry.service.answers import VerificationOut

    payload = VerificationOut.of(result, evidence).body()  # the API's answer, key for key
    if as_json:
        print(json.dumps(payload))
    else:
        console.print(f"verdict: [bold]{payload['verdict']}[/]")
        table = Table()
        for column in ("check", "passed", "severity", "message"):
            table.add_column(column)
        for check in payload["checks"]:
            table.add_row(check["name"], "yes" if check["passed"] else "no", check["severity"], check["message"])
        console.print(table)
        for key in ("priorityPeriodEnd", "restorationPeriodEnd"):
            if payload.get(key):
                console.print(f"{key}: {payload[key]}")
        restoration = payload.get("restoration")
        if restoration:
            console.print(
                f"restoration: available={restoration['available']}, criterion={restoration['criterion']},"
                f" requestDeadline={restoration['requestDeadline']} ({restoration['rule']})",
                highlight=False,
            )
    if payload["verdict"] != "valid":
        raise typer.Exit(1)


def _parent_relation(value: str | None) -> ParentRelation | None:
    from registry.domain.rules import ParentRelation

    if value is None:
        return None
    try:
        return ParentRelation(value)
    except ValueError:
        raise errors.InvalidInput(
            f"--parent-relation {value!r}: give divisional, continuation or continuationInPart",
            code="badRelation",
            target="later.parentRelation",
        ) from None


def family_cmd(
    commitment: Annotated[str, typer.Argument(help="The application's commitment (0x + 64 hex).")],
    state_dir: StateOpt = None,
    rpc_url: RpcOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show the simple and extended family of an application and the links that join it (read-only, no lock)."""
    from registry.domain.commitments import parse_commitment
    from registry.service.family_view import family_view

    wanted = parse_commitment(commitment)
    opened = _open(state_dir, rpc_url)
    try:
        opened.service.sync()  # the in-memory copy of the index, up to the chain's head
        payload = family_view(opened.service.index, wanted).body()  # the API's answer, key for key
    finally:
        opened.service.chain.close()
    if as_json:
        print(json.dumps(payload))
        return
    simple = set(payload["simpleFamily"])
    table = Table(title="extended family (earliest first)")
    for column in ("commitment", "office", "kind", "filed", "number", "simple family"):
        table.add_column(column)
    for m in payload["extendedFamily"]:
        table.add_row(
            m["commitment"][:18] + "…",
            m["ipOfficeCode"] or "?",
            m["ipRightKind"] or "?",
            m["filingDate"] or "?",
            m["applicationNumber"] or "—",
            "yes" if m["commitment"] in simple else "",
        )
    console.print(table)
    for link in payload["links"]:
        console.print(f"{link['from'][:18]}… claims {link['to'][:18]}… (date {link['claimedFilingDate']})")


def claims_cmd(
    commitment: Annotated[str, typer.Argument(help="The application's commitment (0x + 64 hex).")],
    office: Annotated[
        str | None, typer.Option("--office", help="The office whose record is meant; default: the first anchored.")
    ] = None,
    state_dir: StateOpt = None,
    rpc_url: RpcOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Verify every priority claim of an application from the ledger alone (exit 0 when every claim not withdrawn
    is valid), as ``GET /v1/applications/{commitment}/priority-claims`` (docs/api.md#other-bodies)."""
    from registry.domain.commitments import parse_commitment
    from registry.service.all_claims import all_claims
    from registry.service.answers import ApplicationClaimsOut

    wanted = parse_commitment(commitment)
    opened = _open(state_dir, rpc_url)
    try:
        opened.service.sync()
        payload = ApplicationClaimsOut.of(all_claims(opened.service, wanted, office)).body()  # the API's answer
    finally:
        opened.service.chain.close()
    if as_json:
        print(json.dumps(payload))
    else:
        table = Table(title=f"priority claims of {payload['commitment'][:18]}… (in the order made)")
        for column in ("#", "earlier office", "earlier commitment", "claimed date", "withdrawn", "verdict", "failed"):
            table.add_column(column)
        for i, item in enumerate(payload["priorityClaims"], start=1):
            verification = item["verification"]
            failed = ", ".join(c["name"] for c in verification["checks"] if not c["passed"]) or "—"
            table.add_row(
                str(i),
                item["ipOfficeCode"],
                item["earlierCommitment"][:18] + "…",
                item["claimedFilingDate"],
                "yes" if item["withdrawn"] else "",
                verification["verdict"],
                failed,
            )
        console.print(table)
    if any(not i["withdrawn"] and i["verification"]["verdict"] != "valid" for i in payload["priorityClaims"]):
        raise typer.Exit(1)


def register(app: typer.Typer, friendly: Any) -> None:
    """Add the commands to the main ``prioreg`` app."""
    for name, fn in (
        ("deploy", deploy_cmd),
        ("admit", admit_cmd),
        ("anchor", anchor_cmd),
        ("import", import_cmd),
        ("verify", verify_cmd),
        ("claims", claims_cmd),
        ("family", family_cmd),
    ):
        app.command(name)(friendly(fn))
