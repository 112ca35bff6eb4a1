"""The pure half of anchoring, for the benchmark: synthetic filing → prepared filing → entry bytes.

This is the office's side of the end-to-end path (docs/design.md#how-the-code-is-written: normalize → commit → entry)
run by :func:`registry.domain.filings.prepare_filing` exactly as the service runs it — the number read by its
office's rules, the access code derived from the office's seed, the commitment, each claim's
earlier commitment from the number and access code the applicant would give — and nothing else.
It needs no node, so the benchmark runs it in worker processes (the second core) while the main
process drives the chain; a worker generates the synthetic set once and then receives only index ranges.
"""

from __future__ import annotations

import time

from registry.bench.synthetic import SyntheticFiling, SyntheticSet, generate
from registry.domain.accesscodes import AccessCode, derive
from registry.domain.entries import encode_entry
from registry.domain.filings import ClaimInput, FilingInput, PreparedFiling, prepare_filing

__all__ = ["Preparer", "filing_input", "init_worker", "prepare_range"]

# Filings whose access code a preparer keeps for the claims that follow: a claim names a filing of
# the last ~1,000 most of the time (synthetic.py), so a few thousand cover nearly all of them.
_KEPT = 8192


class Preparer:
    """Prepares filings of one synthetic set with one access-code seed per office."""

    def __init__(self, filings: SyntheticSet, seeds: dict[str, bytes]) -> None:
        self.filings = filings
        self.seeds = seeds
        # index → the filing and the access code its office issued when this preparer prepared
        # it: what its applicant holds and writes into a later priority claim.
        self._issued: dict[int, tuple[SyntheticFiling, AccessCode]] = {}

    def access_code(self, filing: SyntheticFiling) -> str:
        """The access code the filing's office issued (derived from its seed, as the service does)."""
        # The record office of a PCT number is WO, which is also the submitting office here.
        return derive(self.seeds[filing.office], filing.office, filing.canonical).display

    def claim_input(self, index: int) -> ClaimInput:
        """A priority claim to filing ``index`` as its applicant writes it: office, number as
        written, filing date and the access code the office issued."""
        issued = self._issued.get(index)
        if issued is None:
            earlier = self.filings.filing(index)
            return ClaimInput(earlier.office, earlier.number, earlier.filing_date, self.access_code(earlier))
        earlier, code = issued
        return ClaimInput(earlier.office, earlier.number, earlier.filing_date, code.display)

    def filing_input(self, filing: SyntheticFiling) -> FilingInput:
        """What the office submits: the number as written and the claims as the applicant gave them."""
        return FilingInput(
            application_number=filing.number,
            filing_date=filing.filing_date,
            ip_right_kind=filing.kind,
            document_digest=filing.document_digest,
            priority_claims=tuple([self.claim_input(j) for j in filing.claims]),
        )

    def prepare(self, index: int) -> PreparedFiling:
        """Filing ``index`` prepared for anchoring by its office."""
        filing = self.filings.filing(index)
        prepared = prepare_filing(filing.office, self.filing_input(filing), seed=self.seeds[filing.office])
        issued = self._issued
        issued[index] = (filing, prepared.access_code)
        if len(issued) > _KEPT:
            del issued[next(iter(issued))]  # the oldest: dicts keep insertion order
        return prepared

    def prepare_range(self, start: int, end: int) -> list[bytes]:
        """The packed entries (docs/spec/entries.md#batch-entry-layout) of filings ``start`` … ``end − 1``, in order."""
        return [encode_entry(self.prepare(i).entry) for i in range(start, end)]


_WORKER: Preparer | None = None


def init_worker(count: int, seed: int, seeds: dict[str, bytes]) -> None:
    """Process-pool initializer: generate the synthetic set ``(count, seed)`` and keep it, with the
    access-code seeds, for every task (the same set as the parent's: it is a pure function of both)."""
    global _WORKER
    _WORKER = Preparer(generate(count, seed), seeds)


def prepare_range(bounds: tuple[int, int]) -> tuple[list[bytes], float]:
    """Process-pool task: :meth:`Preparer.prepare_range` in the worker, and the CPU seconds it took there
    (which of the two processes bounds the rate: the bench reports the worker's busy share)."""
    if _WORKER is None:
        raise RuntimeError("init_worker was not called in this process")
    started = time.process_time()
    entries = _WORKER.prepare_range(*bounds)
    return entries, time.process_time() - started


def filing_input(preparer: Preparer, index: int) -> FilingInput:
    """Shorthand for ``preparer.filing_input(preparer.filings.filing(index))``."""
    return preparer.filing_input(preparer.filings.filing(index))
