"""The service side of reports (registry.service.reports and RegistryService.anchor_report): the rules hold for every
caller, not only the HTTP route."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest

from registry import errors
from registry.domain.filings import FilingInput
from registry.domain.types import IpRightKind
from registry.service.files import FileStore
from registry.service.gateway_requests import GatewaySender
from registry.service.reports import REPORT_KINDS, ReportBook, Reports
from tests.api.conftest import build_service

REPORT = b"%PDF-1.4 a search report"


def test_a_report_dated_before_the_filing_is_refused_with_nothing_kept_or_anchored(tmp_path: Path) -> None:
    service = build_service(("JP",))
    outcome = service.anchor("JP", FilingInput("2017-187096", dt.date(2017, 9, 27), IpRightKind.PATENT))
    commitment = outcome.prepared.commitment
    files, book = FileStore(tmp_path / "files"), ReportBook(":memory:")
    reports = Reports(service, files, book, GatewaySender(lambda _office: None))
    kind = REPORT_KINDS["searchReport"]
    head = service.chain.block_number()
    with pytest.raises(errors.ReportBeforeFiling):
        reports.anchor("JP", commitment, REPORT, "application/pdf", kind, dt.date(2017, 9, 26))
    with pytest.raises(errors.ReportBeforeFiling):  # the service's own write, for any other caller
        service.anchor_report("JP", commitment, hashlib.sha256(REPORT).digest(), kind, dt.date(2016, 1, 1))
    assert service.chain.block_number() == head  # no transaction
    assert not files.has(hashlib.sha256(REPORT).hexdigest())  # no file kept
    assert service.index.reports("JP", commitment) == ()
    anchored = reports.anchor("JP", commitment, REPORT, "application/pdf", kind, dt.date(2017, 9, 27))  # the same day
    assert anchored.report.issued == dt.date(2017, 9, 27)
