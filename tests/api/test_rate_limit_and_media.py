"""The rate limit (429 with ``Retry-After``, per token office or client IP) and content negotiation
(406 for an ``Accept`` nothing answers, 415 for a body type nothing reads): issue 19, item 3."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import TokenStore
from api.negotiation import accepts
from api.ratelimit import TokenBuckets
from tests.api.conftest import Api, build_service
from tests.api.helpers import assert_envelope, claim, fresh_access_code, verify_body

LIMIT = 5
UNKNOWN = "/v1/applications/0x" + "ab" * 32


@pytest.fixture
def limited() -> Iterator[tuple[TestClient, dict[str, str]]]:
    service = build_service(("JP", "US"))
    store = TokenStore()
    tokens = {office: store.issue(office) for office in ("JP", "US")}
    with TestClient(create_app(service, store, follow_index=False, rate_limit=LIMIT)) as client:
        yield client, tokens


def test_anonymous_callers_are_limited_per_address_with_retry_after(limited: tuple[TestClient, dict[str, str]]) -> None:
    client, _tokens = limited
    for _ in range(LIMIT):
        assert client.get(UNKNOWN).status_code == 404
    refused = client.get(UNKNOWN)
    error = assert_envelope(refused, 429, "TOO_MANY_REQUESTS")
    assert error["details"][0]["code"] == "rateLimited"
    # 5 a minute: one request back every 12 s.
    assert refused.headers["retry-after"] == "12"
    assert refused.headers["x-request-id"]
    # Another address has its own bucket.
    other = TestClient(client.app, client=("192.0.2.7", 4000))
    assert other.get(UNKNOWN).status_code == 404


def test_an_office_has_its_own_bucket_and_a_wrong_token_counts_for_the_address(
    limited: tuple[TestClient, dict[str, str]],
) -> None:
    client, tokens = limited
    jp = {"Authorization": f"Bearer {tokens['JP']}"}
    for _ in range(LIMIT):
        assert client.get(UNKNOWN, headers=jp).status_code == 404
    assert client.get(UNKNOWN, headers=jp).status_code == 429
    # US is not held back by JP; the address's anonymous budget is untouched by JP's calls.
    assert client.get(UNKNOWN, headers={"Authorization": f"Bearer {tokens['US']}"}).status_code == 404
    wrong = {"Authorization": "Bearer prt_not-a-token"}
    for _ in range(LIMIT):
        assert client.get(UNKNOWN, headers=wrong).status_code == 404
    assert client.get(UNKNOWN).status_code == 429  # the wrong token spent the address's budget


def test_health_and_metrics_are_not_limited(limited: tuple[TestClient, dict[str, str]]) -> None:
    client, _tokens = limited
    for _ in range(3 * LIMIT):
        assert client.get("/v1/health").status_code == 200
        assert client.head("/v1/health").status_code == 200
        assert client.get("/metrics").status_code == 200
    assert client.get(UNKNOWN).status_code == 404


def test_a_limit_of_zero_turns_it_off(api: Api) -> None:
    for _ in range(700):  # more than the default 600 a minute
        response = api.client.get(UNKNOWN)
        assert response.status_code == 404


def test_a_bucket_refills_at_the_rate_and_holds_at_most_a_minute() -> None:
    now = [0.0]
    buckets = TokenBuckets(60, clock=lambda: now[0])
    assert all(buckets.take("a") == 0.0 for _ in range(60))
    wait = buckets.take("a")
    assert wait == pytest.approx(1.0)
    now[0] += wait
    assert buckets.take("a") == 0.0
    assert buckets.take("a") > 0
    now[0] += 3600  # an hour idle gives one minute's allowance, not sixty
    assert sum(buckets.take("a") == 0.0 for _ in range(100)) == 60


def test_the_default_limit_is_600_a_minute() -> None:
    service = build_service(("JP",))
    with TestClient(create_app(service, TokenStore(), follow_index=False)) as client:
        started = time.monotonic()
        allowed = 0
        while client.get(UNKNOWN).status_code == 404:
            allowed += 1
            assert allowed < 2_000
        seconds = time.monotonic() - started
    # A burst of a minute's allowance, plus the 10 a second that refilled while it was spent.
    assert 600 <= allowed <= 600 + 10 * seconds + 1


# ── 406 and 415 ─────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("accept", ["application/json", "*/*", "application/*", "application/json;q=0.5, text/csv"])
def test_json_operations_answer_json_accepts(api: Api, accept: str) -> None:
    assert api.client.get(UNKNOWN, headers={"Accept": accept}).status_code == 404
    assert api.client.get("/v1/offices", headers={"Accept": accept}).status_code == 200


@pytest.mark.parametrize("accept", ["application/xml", "text/html", "image/*", "application/json;q=0", "text/*"])
def test_json_operations_refuse_other_accepts_with_406(api: Api, accept: str) -> None:
    for response in (
        api.client.get("/v1/offices", headers={"Accept": accept}),
        api.client.post(
            "/v1/priority-claims/verify",
            json=verify_body(claim("JP", "2017-187096", "2017-09-27", fresh_access_code()), "US", "2018-09-06"),
            headers={"Accept": accept},
        ),
    ):
        error = assert_envelope(response, 406, "NOT_ACCEPTABLE")
        assert error["details"][0] == {
            "code": "notAcceptable",
            "message": "this resource is only available as application/json",
            "target": "Accept",
        }


def test_the_picture_and_the_page_answer_their_own_types(api: Api) -> None:
    svg = UNKNOWN.replace("applications", "families") + ".svg"
    for accept in ("image/svg+xml", "image/*", "*/*"):
        assert api.client.get(svg, headers={"Accept": accept}).status_code == 404  # an unknown family
    assert_envelope(api.client.get(svg, headers={"Accept": "application/json"}), 406, "NOT_ACCEPTABLE")
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert api.client.get("/", headers={"Accept": browser}).status_code == 200
    assert_envelope(api.client.get("/", headers={"Accept": "application/json"}), 406, "NOT_ACCEPTABLE")


def test_a_body_of_a_type_the_operation_does_not_read_is_415(api: Api) -> None:
    for path in ("/v1/priority-claims/verify", "/v1/filings", "/v1/documents/verify"):
        for content_type in ("text/plain", "application/xml", "application/x-www-form-urlencoded"):
            response = api.client.post(path, content=b"<a/>", headers={"Content-Type": content_type, **api.auth("US")})
            error = assert_envelope(response, 415, "UNSUPPORTED_MEDIA_TYPE")
            assert error["details"][0]["code"] == "unsupportedMediaType"
    # JSON with parameters is JSON; the document check also takes an upload.
    ok = api.client.post(
        "/v1/documents/verify", content=b"{}", headers={"Content-Type": "application/json; charset=utf-8"}
    )
    assert ok.status_code == 422
    upload = api.client.post("/v1/documents/verify", files={"file": ("d.pdf", b"%PDF")}, data={"ipOfficeCode": "US"})
    assert upload.status_code == 422  # read, then refused for what it lacks


def test_pages_and_metrics_outside_the_contract_are_not_negotiated(api: Api) -> None:
    prometheus = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
    assert api.client.get("/metrics", headers={"Accept": prometheus}).status_code == 200
    assert api.client.get("/metrics", headers={"Accept": "text/plain"}).status_code == 200
    assert api.client.get("/docs", headers={"Accept": "text/html"}).status_code == 200


def test_accept_parsing() -> None:
    assert accepts("application/json", "application/json")
    assert accepts("APPLICATION/JSON; charset=utf-8", "application/json")
    assert not accepts("application/json;q=0, */*;q=0", "application/json")
    assert accepts("text/html, */*;q=0.1", "application/json")
    assert not accepts("application/problem+json", "application/json")
