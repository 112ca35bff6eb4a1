"""The pure half of anchoring, for the benchmark: synthetic filing → prepared filing → entry bytes.

This is the office's side of the end-to-end path (STYLE.md: normalize → commit → entry) run by
:func:`registry.filings.prepare_filing` exactly as the service runs it — the number read by its
office's rules, the access code derived from the office's seed, the commitment, each claim's
earlier commitment from the number and access code the applicant would give — and nothing else.
It needs no node, so the benchmark runs it in worker processes (the second core) while the main
process drives the chain; a worker receives the synthetic set once and then only index ranges.
"""

from __future__ import annotations

from registry.accesscodes import derive
from registry.bench.synthetic import SyntheticFiling, SyntheticSet
from registry.entries import encode_entry
from registry.filings import ClaimInput, FilingInput, PreparedFiling, prepare_filing

__all__ = ["Preparer", "filing_input", "init_worker", "prepare_range"]


class Preparer:
    """Prepares filings of one synthetic set with one access-code seed per office."""

    def __init__(self, filings: SyntheticSet, seeds: dict[str, bytes]) -> None:
        self.filings = filings
        self.seeds = seeds

    def access_code(self, filing: SyntheticFiling) -> str:
        """The access code the filing's office issued (derived from its seed, as the service does)."""
        # The record office of a PCT number is WO, which is also the submitting office here.
        return derive(self.seeds[filing.office], filing.office, filing.canonical).display

    def filing_input(self, filing: SyntheticFiling) -> FilingInput:
        """What the office submits: the number as written and the claims as the applicant gave them."""
        claims = []
        for j in filing.claims:
            earlier = self.filings.filing(j)
            claims.append(ClaimInput(earlier.office, earlier.number, earlier.filing_date, self.access_code(earlier)))
        return FilingInput(
            application_number=filing.number,
            filing_date=filing.filing_date,
            ip_right_kind=filing.kind,
            document_digest=filing.document_digest,
            priority_claims=tuple(claims),
        )

    def prepare(self, index: int) -> PreparedFiling:
        """Filing ``index`` prepared for anchoring by its office."""
        filing = self.filings.filing(index)
        return prepare_filing(filing.office, self.filing_input(filing), seed=self.seeds[filing.office])

    def prepare_range(self, start: int, end: int) -> list[bytes]:
        """The packed entries (SPEC.md §2) of filings ``start`` … ``end − 1``, in order."""
        return [encode_entry(self.prepare(i).entry) for i in range(start, end)]


_WORKER: Preparer | None = None


def init_worker(filings: SyntheticSet, seeds: dict[str, bytes]) -> None:
    """Process-pool initializer: keep the synthetic set and the seeds for every task."""
    global _WORKER
    _WORKER = Preparer(filings, seeds)


def prepare_range(bounds: tuple[int, int]) -> list[bytes]:
    """Process-pool task: :meth:`Preparer.prepare_range` in the worker."""
    if _WORKER is None:
        raise RuntimeError("init_worker was not called in this process")
    return _WORKER.prepare_range(*bounds)


def filing_input(preparer: Preparer, index: int) -> FilingInput:
    """Shorthand for ``preparer.filing_input(preparer.filings.filing(index))``."""
    return preparer.filing_input(preparer.filings.filing(index))
