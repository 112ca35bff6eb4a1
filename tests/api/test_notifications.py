"""``GET /v1/notifications`` (docs/api.md#notifications): scope, order, paging, long poll, stream, 422s.

The app runs for real over the embedded chain; the stream runs under uvicorn on a loopback port,
so that server-sent events arrive as a client sees them.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn

from api.app import create_app
from api.auth import TokenStore
from tests.api.conftest import Api, build_service
from tests.api.helpers import COMMITMENT, assert_envelope, assert_ledger, claim, filing

KEYS = {"cursor", "kind", "commitment", "ipOfficeCode", "at", "ledger"}
RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
CURSOR = re.compile(r"^[0-9a-f]{25}$")


def notifications(api: Api, office: str, **params: Any) -> dict[str, Any]:
    response = api.client.get("/v1/notifications", params=params, headers=api.auth(office))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"notifications", "next"}
    for item in body["notifications"]:
        assert set(item) == KEYS, item
        assert CURSOR.match(item["cursor"]) and RFC3339_UTC.match(item["at"])
        assert item["commitment"] is None or COMMITMENT.match(item["commitment"])
        assert_ledger(item["ledger"])
    return body


def now(api: Api, office: str) -> str:
    """The cursor after everything ``office`` was told so far."""
    cursor: str | None = None
    while True:
        body = notifications(api, office, **({"after": cursor} if cursor else {}), limit=1_000)
        if not body["notifications"]:
            return str(body["next"])
        cursor = body["next"]


def anchor(api: Api, office: str, body: dict[str, Any]) -> dict[str, Any]:
    response = api.client.post("/v1/filings", json=body, headers=api.auth(office))
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_an_office_token_is_needed(api: Api) -> None:
    assert_envelope(api.client.get("/v1/notifications"), 401, "UNAUTHENTICATED")
    bad = {"Authorization": "Bearer nope"}
    assert_envelope(api.client.get("/v1/notifications", headers=bad), 401, "UNAUTHENTICATED")


def test_what_reaches_whom(api: Api) -> None:
    jp, us, ep = now(api, "JP"), now(api, "US"), now(api, "EP")
    first = anchor(api, "JP", filing("2017-187096", "2017-09-27"))
    later = anchor(
        api,
        "US",
        filing(
            "16/123,456", "2018-09-06", priorityClaims=[claim("JP", "2017-187096", "2017-09-27", first["accessCode"])]
        ),
    )
    told_jp = notifications(api, "JP", after=jp)["notifications"]
    assert [(n["kind"], n["commitment"], n["ipOfficeCode"]) for n in told_jp][:2] == [
        ("familyMemberAdded", first["commitment"], "JP"),
        ("familyMemberAdded", later["commitment"], "US"),
    ]
    assert told_jp[1]["ledger"] == later["ledger"]
    # JP's gateway confirmed the genuine claim on its next sync: both offices are told.
    assert "priorityClaimConfirmed" in [n["kind"] for n in told_jp]
    told_us = notifications(api, "US", after=us)["notifications"]
    assert [n["commitment"] for n in told_us if n["kind"] == "familyMemberAdded"] == [later["commitment"]]
    assert notifications(api, "EP", after=ep)["notifications"] == []


def test_paging_with_limit_and_next(api: Api) -> None:
    bodies = [filing(f"2017-1872{i:02d}", "2017-09-27") for i in range(5)]
    response = api.client.post("/v1/filing-batches", json={"filings": bodies}, headers=api.auth("JP"))
    assert response.status_code == 201, response.text
    everything = notifications(api, "JP", limit=1_000)["notifications"]
    cursors = [n["cursor"] for n in everything]
    assert len(cursors) >= 5 and cursors == sorted(cursors) and len(set(cursors)) == len(cursors)
    assert notifications(api, "JP")["notifications"] == everything[:100]  # limit 100 unless asked
    seen: list[str] = []
    after: str | None = None
    while True:
        body = notifications(api, "JP", **({"after": after} if after else {}), limit=2)
        if not body["notifications"]:
            assert body["next"] == after  # echoed back when nothing is new
            break
        assert len(body["notifications"]) <= 2
        seen += [n["cursor"] for n in body["notifications"]]
        assert body["next"] == seen[-1]
        after = body["next"]
    assert seen == cursors


@pytest.mark.parametrize(
    ("params", "target"),
    [
        ({"after": "not a cursor"}, "after"),
        ({"after": "0" * 24 + "g"}, "after"),
        ({"after": "0" * 26}, "after"),
        ({"limit": 0}, "limit"),
        ({"limit": 1_001}, "limit"),
        ({"wait": -1}, "wait"),
        ({"wait": 30.5}, "wait"),
        ({"wait": "soon"}, "wait"),
        ({"afer": "0" * 25}, "afer"),
    ],
)
def test_out_of_range_is_422(api: Api, params: dict[str, Any], target: str) -> None:
    response = api.client.get("/v1/notifications", params=params, headers=api.auth("JP"))
    error = assert_envelope(response, 422, "INVALID_INPUT_DATA")
    assert any(target in str(d.get("target", "")) for d in error["details"]), error


def test_an_unknown_parameter_is_named_but_not_echoed_whole(api: Api) -> None:
    name = "afer" + "x" * 10_000  # uvicorn passes a query string of 60 KB
    response = api.client.get("/v1/notifications", params={name: "1"}, headers=api.auth("JP"))
    error = assert_envelope(response, 422, "INVALID_INPUT_DATA")
    assert error["details"][0]["code"] == "unknownField"
    assert error["details"][0]["target"] == name[:40] and repr(name[:40]) in error["message"]
    assert len(response.content) < 2_000, len(response.content)  # was three copies of the name


def test_a_bad_last_event_id_is_422_and_other_media_406(api: Api) -> None:
    headers = {**api.auth("JP"), "Accept": "text/event-stream", "Last-Event-ID": "zzz"}
    error = assert_envelope(api.client.get("/v1/notifications", headers=headers), 422, "INVALID_INPUT_DATA")
    assert error["details"][0]["target"] == "Last-Event-ID"
    headers = {**api.auth("JP"), "Accept": "application/xml"}
    assert_envelope(api.client.get("/v1/notifications", headers=headers), 406, "NOT_ACCEPTABLE")


def test_a_long_poll_returns_when_something_arrives(api: Api) -> None:
    office = "EP"
    after = now(api, office)

    def later() -> None:
        time.sleep(0.6)
        anchor(api, office, filing("EP18196345", "2018-09-20"))

    writer = threading.Thread(target=later)
    started = time.monotonic()
    writer.start()
    body = notifications(api, office, after=after, wait=20)
    elapsed = time.monotonic() - started
    writer.join()
    assert [n["kind"] for n in body["notifications"]] == ["familyMemberAdded"]
    assert 0.5 < elapsed < 10, elapsed


def test_a_long_poll_returns_empty_after_wait(api: Api) -> None:
    after = now(api, "WO")
    started = time.monotonic()
    body = notifications(api, "WO", after=after, wait=0.8)
    elapsed = time.monotonic() - started
    assert body == {"notifications": [], "next": after}
    assert 0.75 <= elapsed < 5, elapsed


# ── the stream, under uvicorn ───────────────────────────────────────────────────────────


@pytest.fixture(scope="module")
def gateway() -> Iterator[tuple[str, dict[str, str]]]:
    service = build_service(("JP", "US"))
    store = TokenStore()
    tokens = {office: store.issue(office) for office in ("JP", "US")}
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_app(service, store, rate_limit=0, stream_keepalive=0.3)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", ws="none", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="uvicorn-sse", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the app did not start under uvicorn")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", tokens
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def read_events(lines: Iterator[str], count: int, comments: list[str]) -> list[dict[str, str]]:
    """The next ``count`` events of a stream (comment lines go to ``comments``)."""
    events: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for line in lines:
        if line.startswith(":"):
            comments.append(line)
        elif not line:
            if current:
                events.append(current)
                current = {}
                if len(events) == count:
                    return events
        else:
            name, _, value = line.partition(": ")
            current[name] = value
    raise AssertionError("the stream ended")


def test_the_stream_sends_events_keep_alives_and_resumes_after_last_event_id(
    gateway: tuple[str, dict[str, str]],
) -> None:
    url, tokens = gateway
    auth = {"Authorization": f"Bearer {tokens['JP']}"}
    with httpx.Client(base_url=url, timeout=30) as client:
        first = client.post("/v1/filings", json=filing("2017-187096", "2017-09-27"), headers=auth).json()
        body = filing(
            "16/123,456", "2018-09-06", priorityClaims=[claim("JP", "2017-187096", "2017-09-27", first["accessCode"])]
        )
        client.post("/v1/filings", json=body, headers={"Authorization": f"Bearer {tokens['US']}"})
        page = client.get("/v1/notifications", headers=auth).json()["notifications"]
        assert len(page) >= 2
        comments: list[str] = []
        stream_headers = {**auth, "Accept": "text/event-stream"}
        with client.stream("GET", "/v1/notifications", headers=stream_headers) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            lines = response.iter_lines()
            events = read_events(lines, len(page), comments)
            assert [e["id"] for e in events] == [n["cursor"] for n in page]
            assert [e["event"] for e in events] == [n["kind"] for n in page]
            assert [httpx.Response(200, content=e["data"]).json() for e in events] == page
            # Quiet: keep-alive comments; then a new filing arrives on the open stream.
            before = len(comments)
            time.sleep(0.8)
            client.post("/v1/filings", json=filing("2017-187097", "2017-09-27"), headers=auth)
            (arrived,) = read_events(lines, 1, comments)
            assert arrived["event"] == "familyMemberAdded"
            assert any("keep-alive" in c for c in comments[before:]), comments
        # Reconnecting with Last-Event-ID gives what came after it, however `after` reads.
        resume = {**stream_headers, "Last-Event-ID": page[0]["cursor"]}
        with client.stream("GET", "/v1/notifications", params={"after": page[-1]["cursor"]}, headers=resume) as again:
            (next_one,) = read_events(again.iter_lines(), 1, [])
            assert next_one["id"] == page[1]["cursor"]
