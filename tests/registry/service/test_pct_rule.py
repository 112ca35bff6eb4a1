"""docs/spec/commitments.md#whose-record-counts end to end, on the embedded chain: a PCT application the IB anchored
under its receiving-office code ``IB`` counts for the reads as it did for anchoring. The service once used a
copy of the rule that anchoring accepted and the reads did not (registry.domain.pct now holds it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from registry import errors
from registry.domain.filings import ClaimInput, FilingInput
from registry.domain.rules import LaterApplication, Verdict
from registry.domain.types import IpRightKind
from registry.service import RegistryService
from tests.api.conftest import build_service

NUMBER = "PCT/US2019/012345"
FILED = dt.date(2019, 1, 10)


@pytest.fixture(scope="module")
def service() -> Iterator[RegistryService]:
    yield build_service(("IB", "US", "EP", "JP"))


def _later() -> LaterApplication:
    return LaterApplication.read("JP", dt.date(2019, 9, 1), IpRightKind.PATENT)


def test_a_record_the_ib_anchored_as_ib_is_judged_and_publishable(service: RegistryService) -> None:
    outcome = service.anchor("IB", FilingInput(NUMBER, FILED, IpRightKind.PATENT))
    code = str(outcome.prepared.access_code)
    answer = service.verify(ClaimInput("WO", NUMBER, FILED, code), _later())
    assert answer.verdict is Verdict.VALID
    assert answer.registered is not None and answer.registered.filing_date == FILED
    commitment, canonical, _ = service.publish("IB", NUMBER, code)
    assert commitment == outcome.prepared.commitment and canonical == outcome.prepared.number.canonical


def test_an_office_the_number_does_not_name_may_neither_anchor_nor_publish_it(service: RegistryService) -> None:
    number = "PCT/US2019/054321"
    outcome = service.anchor("US", FilingInput(number, FILED, IpRightKind.PATENT))
    code = str(outcome.prepared.access_code)
    with pytest.raises((errors.Forbidden, errors.InvalidApplicationNumber)):
        service.anchor("EP", FilingInput(number, FILED, IpRightKind.PATENT, access_code=code))
    with pytest.raises(errors.Forbidden, match="office EP may anchor and publish only its own"):
        service.publish("EP", number, code)
