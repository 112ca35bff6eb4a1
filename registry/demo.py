"""The whole story on the embedded chain, printed for a person (``prioreg demo`` / ``make demo``).

Deploy the registry; the registrar admits JP, US, EP and CN; the JPO anchors a first filing as a
hashed commitment; the USPTO and the EPO file later applications claiming its priority; a batch of
filings shows what one transaction carries. Every step prints what the ledger acknowledged.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

from eth_account.signers.local import LocalAccount
from rich.console import Console
from rich.table import Table

from registry.chain import Chain
from registry.client import RegistryClient, deploy
from registry.commitments import to_hex
from registry.filings import ClaimInput, FilingInput, PreparedFiling, prepare_filing
from registry.types import IpRightKind

__all__ = ["DemoLedger", "run_demo", "start_demo_ledger"]

DEMO_OFFICES = ("JP", "US", "EP", "CN")


@dataclass
class DemoLedger:
    """A freshly deployed registry with admitted offices and a client per office key."""

    chain: Chain
    registrar: RegistryClient
    offices: dict[str, RegistryClient] = field(default_factory=dict)


def start_demo_ledger(offices: tuple[str, ...] = DEMO_OFFICES) -> DemoLedger:
    """Deploy on a new embedded chain and admit ``offices``, each with a fresh funded key."""
    chain = Chain.embedded()
    registrar_key: LocalAccount = chain.new_account()
    registrar = deploy(chain, registrar_key)
    ledger = DemoLedger(chain, registrar)
    for code in offices:
        key = chain.new_account()
        registrar.admit_office(code, key.address)
        ledger.offices[code] = registrar.for_account(key)
    return ledger


def _anchor(console: Console, ledger: DemoLedger, office: str, filing: FilingInput) -> PreparedFiling:
    prepared = prepare_filing(office, filing)
    anchored = ledger.offices[office].anchor_filing(prepared.entry)
    console.print(
        f"  [bold]{office}[/] anchored {prepared.number.display} ({filing.ip_right_kind.api_name}, "
        f"filed {filing.filing_date}) → commitment {to_hex(prepared.commitment)[:18]}…, "
        f"block {anchored.block_number}, {anchored.gas_used:,} gas"
    )
    return prepared


def run_demo(console: Console | None = None) -> int:
    """Run the story; returns the process exit code (0 when every step was acknowledged)."""
    console = console or Console()
    started = time.perf_counter()
    console.rule("[bold]Priority registry — demo on the embedded chain")
    ledger = start_demo_ledger()
    console.print(
        f"Registry deployed at {ledger.registrar.address} (chain id {ledger.chain.chain_id}); "
        f"offices admitted: {', '.join(ledger.offices)}"
    )

    console.rule("First filing, anchored as a commitment that reveals nothing")
    jp = _anchor(console, ledger, "JP", FilingInput("特願2017-187096", dt.date(2017, 9, 27), IpRightKind.PATENT))
    console.print(f"  The JPO gives the applicant the access code [bold]{jp.access_code}[/] (shown once).")

    console.rule("Later filings claiming its priority")
    claim = ClaimInput("JP", "2017-187096", dt.date(2017, 9, 27), str(jp.access_code))
    us = _anchor(
        console,
        ledger,
        "US",
        FilingInput("16/123,456", dt.date(2018, 9, 6), IpRightKind.PATENT, priority_claims=(claim,)),
    )
    ep = _anchor(
        console,
        ledger,
        "EP",
        FilingInput("EP 18 195 432.2", dt.date(2018, 10, 29), IpRightKind.PATENT, priority_claims=(claim,)),
    )

    console.rule("A day of filings in one batch transaction")
    batch = [
        prepare_filing("CN", FilingInput(f"2023 1 {i:07d}", dt.date(2023, 5, 2), IpRightKind.PATENT)).entry
        for i in range(1, 201)
    ]
    (anchored,) = ledger.offices["CN"].anchor_batch(batch)
    console.print(
        f"  CN anchored {anchored.count} filings under root {to_hex(anchored.root)[:18]}… in one transaction: "
        f"{anchored.gas_used / anchored.count:,.0f} gas per filing"
    )

    table = Table(title="What the ledger holds (offices see only commitments before publication)")
    for column in ("office", "number (known to its office)", "commitment", "claims"):
        table.add_column(column)
    for prepared in (jp, us, ep):
        table.add_row(
            prepared.office,
            prepared.number.display,
            to_hex(prepared.commitment)[:26] + "…",
            ", ".join(to_hex(c.commitment)[:12] + "…" for c in prepared.claims) or "—",
        )
    console.print(table)
    console.print(f"Done in {time.perf_counter() - started:.1f} s.")
    return 0
