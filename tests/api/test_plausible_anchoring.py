"""Nothing implausible is acknowledged (issue 12 items 3 and 4; docs/api.md#other-bodies,
docs/spec/priority-rules.md#plausible-dates).

- An access code the office chose must pass the strength rule (422 ``weakAccessCode``); a claim's
  code, issued by the first office, is taken as given.
- Anchoring refuses (422 ``notAPlausibleDate``) a filing or claimed date before 1883-03-20 or after
  the latest block's UTC day + 1, and a claim dated after its filing; verification still answers
  such a pair with a verdict.
- A batch holding an item the office already anchored is a 409 naming ``filings[i]``, and nothing
  of it is anchored; identical requests sent at the same time get one 201, the others 409.

Every refusal is checked to have written nothing: the chain's block number does not move.
"""

from __future__ import annotations

import datetime as _dt
import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from registry.domain.types import PARIS_CONVENTION_DATE
from tests.api.conftest import Api
from tests.api.helpers import assert_envelope, claim, filing, fresh_access_code, verify_body

WEAK_CODES = [
    "0000-0000-0000-0000-0",  # the code of the issue: one symbol
    "ABAB-ABAB-ABAB-ABAB",  # two symbols (check character computed below)
    "0123-4567-89AB-CDEF",  # a run up the alphabet
    "7JEY-NFRJ-5555-5K7B",  # five identical in a row
    "7JEY-NFRQ-PNMK-X7B3",  # six down the alphabet
]


def _with_check(code: str) -> str:
    from registry.domain.accesscodes import check_character

    secret = code.replace("-", "")[:16]
    return f"{secret[:4]}-{secret[4:8]}-{secret[8:12]}-{secret[12:]}-{check_character(secret)}"


def _unchanged(api: Api, action: Callable[[], httpx.Response]) -> httpx.Response:
    """Run ``action`` and check that the ledger did not move."""
    before = api.service.chain.block_number()
    response = action()
    assert api.service.chain.block_number() == before, "a refused request wrote to the ledger"
    return response


def _today(api: Api) -> _dt.date:
    return api.service.chain.latest_block_day()


# ── access codes ───────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("code", WEAK_CODES)
def test_a_weak_office_chosen_code_is_refused(api: Api, code: str) -> None:
    body = filing("2017-190001", "2017-09-27", accessCode=_with_check(code))
    response = _unchanged(api, lambda: api.client.post("/v1/filings", json=body, headers=api.auth("JP")))
    error = assert_envelope(response, 422, "INVALID_INPUT_DATA")
    assert error["details"] == [
        {"code": "weakAccessCode", "message": error["details"][0]["message"], "target": "accessCode"}
    ]
    assert code.replace("-", "")[:8] not in response.text  # the code is a secret: never echoed


def test_a_weak_code_in_a_batch_refuses_the_batch_naming_the_item(api: Api) -> None:
    items = [
        filing("2017-190010", "2017-09-27", accessCode=fresh_access_code()),
        filing("2017-190011", "2017-09-27"),
        filing("2017-190012", "2017-09-27", accessCode=_with_check(WEAK_CODES[2])),
    ]
    response = _unchanged(
        api, lambda: api.client.post("/v1/filing-batches", json={"filings": items}, headers=api.auth("JP"))
    )
    error = assert_envelope(response, 422, "INVALID_INPUT_DATA")
    assert error["details"][0]["code"] == "weakAccessCode"
    assert error["details"][0]["target"] == "filings[2].accessCode"


def test_a_strong_chosen_code_is_kept_and_a_claims_weak_code_is_taken_as_given(api: Api) -> None:
    code = fresh_access_code()
    first = api.client.post(
        "/v1/filings", json=filing("2017-190020", "2017-09-27", accessCode=code), headers=api.auth("JP")
    )
    assert first.status_code == 201, first.text
    assert first.json()["accessCode"] == code
    # The earlier office issued this code; the later office cannot choose it, and need not.
    weak = _with_check(WEAK_CODES[0])
    later = filing("16/190,021", "2018-09-06", priorityClaims=[claim("JP", "2017-190022", "2017-09-27", weak)])
    answer = api.client.post("/v1/filings", json=later, headers=api.auth("US"))
    assert answer.status_code == 201, answer.text
    assert answer.json()["priorityClaims"][0]["verification"]["verdict"] == "notFound"


def test_generated_codes_are_strong(api: Api) -> None:
    from registry.domain.accesscodes import normalize, weakness

    items = [filing(f"2017-1901{n:02d}", "2017-09-27") for n in range(50)]
    answer = api.client.post("/v1/filing-batches", json={"filings": items}, headers=api.auth("JP"))
    assert answer.status_code == 201, answer.text
    assert all(weakness(normalize(f["accessCode"])) is None for f in answer.json()["filings"])


# ── dates ──────────────────────────────────────────────────────────────────────────────────


def _refused_date(api: Api, body: dict[str, Any], office: str = "US") -> dict[str, Any]:
    response = _unchanged(api, lambda: api.client.post("/v1/filings", json=body, headers=api.auth(office)))
    error = assert_envelope(response, 422, "INVALID_INPUT_DATA")
    assert error["details"][0]["code"] == "notAPlausibleDate", error
    return error


def test_a_filing_date_before_the_paris_convention_or_after_tomorrow_is_refused(api: Api) -> None:
    day_before = (PARIS_CONVENTION_DATE - _dt.timedelta(days=1)).isoformat()
    assert day_before == "1883-03-19"
    late = (_today(api) + _dt.timedelta(days=3)).isoformat()  # two days past the bound, whatever midnight does
    for day in (day_before, "1800-01-01", "2099-01-01", late):
        error = _refused_date(api, filing("16/190,101", day))
        assert error["details"][0]["target"] == "filingDate"
        assert "1883-03-20" in error["message"]


def test_a_filing_dated_the_day_after_the_latest_block_is_anchored(api: Api) -> None:
    # The UTC day after the latest block: an office east of UTC is already there.
    tomorrow = (_today(api) + _dt.timedelta(days=1)).isoformat()
    answer = api.client.post("/v1/filings", json=filing("16/190,102", tomorrow), headers=api.auth("US"))
    assert answer.status_code == 201, answer.text


def test_an_implausible_claimed_date_is_refused(api: Api) -> None:
    late = (_today(api) + _dt.timedelta(days=3)).isoformat()
    for claimed in ("1883-03-19", late):
        body = filing(
            "16/190,103", "2018-09-06", priorityClaims=[claim("JP", "2017-190103", claimed, fresh_access_code())]
        )
        error = _refused_date(api, body)
        assert error["details"][0]["target"] == "priorityClaims[0].filingDate"


def test_a_claim_dated_after_its_own_filing_is_refused(api: Api) -> None:
    body = filing(
        "16/190,104",
        "2018-09-06",
        priorityClaims=[
            claim("JP", "2017-190104", "2017-09-27", fresh_access_code()),
            claim("EP", "17190105", "2018-09-07", fresh_access_code()),
        ],
    )
    error = _refused_date(api, body)
    assert error["details"][0]["target"] == "priorityClaims[1].filingDate"
    same_day = filing(
        "16/190,106", "2018-09-06", priorityClaims=[claim("JP", "2017-190106", "2018-09-06", fresh_access_code())]
    )
    assert api.client.post("/v1/filings", json=same_day, headers=api.auth("US")).status_code == 201


def test_an_implausible_parent_date_is_refused(api: Api) -> None:
    body = filing(
        "16/190,107",
        "2018-09-06",
        parentApplication={"applicationNumber": "16/190,108", "filingDate": "1850-01-01", "relation": "divisional"},
    )
    error = _refused_date(api, body)
    assert error["details"][0]["target"] == "parentApplication.filingDate"


def test_an_implausible_date_in_a_batch_refuses_the_batch_naming_the_item(api: Api) -> None:
    items = [filing("16/190,110", "2018-09-06"), filing("16/190,111", "2099-12-31"), filing("16/190,112", "2018-09-06")]
    response = _unchanged(
        api, lambda: api.client.post("/v1/filing-batches", json={"filings": items}, headers=api.auth("US"))
    )
    error = assert_envelope(response, 422, "INVALID_INPUT_DATA")
    assert error["details"][0] == {
        "code": "notAPlausibleDate",
        "message": error["details"][0]["message"],
        "target": "filings[1].filingDate",
    }


def test_verification_still_answers_an_implausible_pair_with_a_verdict(api: Api) -> None:
    code = fresh_access_code()
    assert (
        api.client.post(
            "/v1/filings", json=filing("2017-190120", "2017-09-27", accessCode=code), headers=api.auth("JP")
        ).status_code
        == 201
    )
    # The later application is dated before the earlier one, and another is dated in 2099.
    for later_day in ("2017-01-01", "2099-01-01"):
        answer = api.client.post(
            "/v1/priority-claims/verify",
            json=verify_body(claim("JP", "2017-190120", "2017-09-27", code), "US", later_day),
        )
        assert answer.status_code == 200, answer.text
        result = answer.json()
        assert result["verdict"] == "invalid"
        if later_day == "2017-01-01":
            assert any(c["name"] == "laterAfterEarlier" and not c["passed"] for c in result["checks"])


# ── conflicts and serialization ────────────────────────────────────────────────────────────


def test_a_batch_with_an_item_already_anchored_is_a_409_naming_it_and_anchors_nothing(api: Api) -> None:
    code = fresh_access_code()
    anchored = filing("2017-190200", "2017-09-27", accessCode=code)
    assert api.client.post("/v1/filings", json=anchored, headers=api.auth("JP")).status_code == 201
    items = [filing("2017-190201", "2017-09-27"), filing("2017-190202", "2017-09-27"), anchored]
    response = _unchanged(
        api, lambda: api.client.post("/v1/filing-batches", json={"filings": items}, headers=api.auth("JP"))
    )
    error = assert_envelope(response, 409, "CONFLICT")
    assert "filings[2]" in error["message"]
    assert error["details"][0]["code"] == "alreadyAnchored"
    assert error["details"][0]["target"] == "filings[2]"
    # Nothing of it is there: the two new items anchor afterwards as a batch of their own.
    again = api.client.post("/v1/filing-batches", json={"filings": items[:2]}, headers=api.auth("JP"))
    assert again.status_code == 201, again.text


def _at_once(api: Api, path: str, body: dict[str, Any], office: str, count: int) -> list[httpx.Response]:
    """``count`` identical requests released together from their own threads."""
    start = threading.Barrier(count)
    answers: list[httpx.Response] = []
    lock = threading.Lock()

    def send() -> None:
        start.wait()
        response = api.client.post(path, json=body, headers=api.auth(office))
        with lock:
            answers.append(response)

    threads = [threading.Thread(target=send) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


def test_identical_filings_sent_at_once_get_one_201_and_409s(api: Api) -> None:
    body = filing("2017-190300", "2017-09-27", accessCode=fresh_access_code())
    answers = _at_once(api, "/v1/filings", body, "JP", 4)
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409], [a.text for a in answers]


def test_identical_batches_sent_at_once_get_one_201_and_a_409(api: Api) -> None:
    # Batched entries are not in contract storage (docs/spec/entries.md#uniqueness-is-per-office): only the gateway's
    # serialization per office keeps the same batch from being anchored twice.
    items = [filing(f"2017-1904{n:02d}", "2017-09-27", accessCode=fresh_access_code()) for n in range(20)]
    before = api.service.chain.block_number()
    answers = _at_once(api, "/v1/filing-batches", {"filings": items}, "JP", 2)
    assert sorted(a.status_code for a in answers) == [201, 409], [a.text[:300] for a in answers]
    assert api.service.chain.block_number() == before + 1  # one batch transaction, not two
    conflict = next(a for a in answers if a.status_code == 409)
    assert assert_envelope(conflict, 409, "CONFLICT")["details"][0]["target"] == "filings[0]"
