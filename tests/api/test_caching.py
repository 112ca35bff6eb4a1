"""ETag, Cache-Control and 304 (issue 19, item 3): a record's version is immutable and cached for
good; a record, a family and its picture change with the chain, so they are revalidated."""

from __future__ import annotations

import datetime as dt

from api.caching import IMMUTABLE, etag_matches
from registry.domain.types import date_to_days
from tests.api.conftest import Api
from tests.api.helpers import assert_envelope, claim, filing


def _anchor(api: Api, office: str, number: str, day: str, **extra: object) -> dict[str, object]:
    response = api.client.post("/v1/filings", json=filing(number, day, **extra), headers=api.auth(office))
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def test_a_version_is_immutable_and_answered_304_when_unchanged(api: Api) -> None:
    jp = _anchor(api, "JP", "2017-640001", "2017-09-27")
    url = f"/v1/applications/{jp['commitment']}/versions/1"
    first = api.client.get(url)
    assert first.status_code == 200
    assert first.headers["cache-control"] == IMMUTABLE == "public, max-age=31536000, immutable"
    etag = first.headers["etag"]
    assert first.json() == {
        "commitment": jp["commitment"],
        "version": 1,
        "change": "anchored",
        "filingDate": "2017-09-27",
        "documentDigest": None,
        "ledger": jp["ledger"],
    }
    again = api.client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag and again.headers["cache-control"] == IMMUTABLE
    for condition in (f'W/{etag}, "other"', "*"):
        assert api.client.get(url, headers={"If-None-Match": condition}).status_code == 304
    assert api.client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200


def test_a_new_version_changes_the_record_but_not_an_earlier_version(api: Api) -> None:
    jp = _anchor(api, "JP", "2017-640002", "2017-09-27")
    commitment = str(jp["commitment"])
    record_url, version_url = f"/v1/applications/{commitment}", f"/v1/applications/{commitment}/versions/1"
    record, version = api.client.get(record_url), api.client.get(version_url)
    assert record.headers["cache-control"] == "no-cache"
    # The office corrects the filing date on the ledger: version 2.
    client = api.service.client_for("JP")
    client.amend_filing(bytes.fromhex(commitment[2:]), date_to_days(dt.date(2017, 9, 28)), None)
    api.service.sync()
    changed = api.client.get(record_url, headers={"If-None-Match": record.headers["etag"]})
    assert changed.status_code == 200 and changed.headers["etag"] != record.headers["etag"]
    assert [v["version"] for v in changed.json()["versions"]] == [1, 2]
    assert api.client.get(version_url, headers={"If-None-Match": version.headers["etag"]}).status_code == 304
    assert api.client.get(f"{record_url}/versions/2").json()["filingDate"] == "2017-09-28"
    assert_envelope(api.client.get(f"{record_url}/versions/3"), 404, "NOT_FOUND")
    assert_envelope(api.client.get(f"{record_url}/versions/0"), 422, "INVALID_INPUT_DATA")


def test_a_family_and_its_picture_are_revalidated_and_change_when_a_member_joins(api: Api) -> None:
    jp = _anchor(api, "JP", "2017-640003", "2017-09-27", accessCode="7JEY-NFRJ-JK7B-DJF3-1")
    urls = (f"/v1/families/{jp['commitment']}", f"/v1/families/{jp['commitment']}.svg")
    before = [api.client.get(url) for url in urls]
    for answer in before:
        assert answer.status_code == 200 and answer.headers["cache-control"] == "no-cache"
        assert api.client.get(answer.url, headers={"If-None-Match": answer.headers["etag"]}).status_code == 304
    claims = [claim("JP", "2017-640003", "2017-09-27", str(jp["accessCode"]))]
    _anchor(api, "US", "16/640,004", "2018-09-06", priorityClaims=claims)
    for url, answer in zip(urls, before, strict=True):
        after = api.client.get(url, headers={"If-None-Match": answer.headers["etag"]})
        assert after.status_code == 200 and after.headers["etag"] != answer.headers["etag"]


def test_errors_are_not_cached(api: Api) -> None:
    missing = api.client.get("/v1/applications/0x" + "ab" * 32)
    assert missing.status_code == 404 and "etag" not in missing.headers


def test_if_none_match_comparison() -> None:
    assert etag_matches('"a"', '"a"') and etag_matches('W/"a"', '"a"') and etag_matches(' "b" , "a"', '"a"')
    assert etag_matches("*", '"a"') and not etag_matches('"b"', '"a"') and not etag_matches("", '"a"')
