"""``HEAD`` of every ``GET`` resource: the status and headers of its ``GET``, no body (api.head; RFC 9110 §9.3.2).

The routes are read from the app itself, so a ``GET`` route added later is covered without a change here. Each is
asked twice: by JP with the ids of a world where everything exists (JP's application, its report, its priority
document), and without a token with ids nobody anchored (401, 404, 422 as ``GET`` answers them).
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi.routing import iter_route_contexts

from tests.api.conftest import Api
from tests.api.helpers import filing

#: Headers that differ between any two answers, whatever the method.
_PER_ANSWER = {"x-request-id", "date", "server"}
#: The one header a route's own HEAD adds to its GET's (GET /v1/health: docs/api.md#resources).
_HEAD_ONLY = {"x-health-status"}


def _get_templates(api: Api) -> list[str]:
    app: Any = api.client.app
    found = [
        context.path_format
        for context in iter_route_contexts(app.routes)
        if "GET" in (getattr(context.original_route, "methods", None) or ())
    ]
    assert len(found) >= 15, found  # the walk sees the included routers' routes, not just the app's own
    return found


@pytest.fixture(scope="module")
def ids(api: Api) -> dict[str, str]:
    """Path parameters of a world where every GET has something to show."""
    client, jp = api.client, api.auth("JP")
    anchored = client.post("/v1/filings", json=filing("2017-187096", "2017-09-27"), headers=jp)
    assert anchored.status_code == 201, anchored.text
    commitment, code = anchored.json()["commitment"], anchored.json()["accessCode"]
    report = client.post(
        f"/v1/applications/{commitment}/reports",
        files={"file": ("r.pdf", b"%PDF-1.4 a search report", "application/pdf")},
        data={"kind": "searchReport", "issued": "2018-03-01"},
        headers=jp,
    )
    assert report.status_code == 201, report.text
    package = client.post(
        f"/v1/applications/{commitment}/priority-document",
        files={"file": ("application.pdf", b"%PDF-1.4 the application as filed", "application/pdf")},
        data={"applicationNumber": "2017-187096", "accessCode": code},
        headers=jp,
    )
    assert package.status_code == 201, package.text
    return {"commitment": commitment, "reportId": report.json()["reportId"], "version": "1"}


def _path(template: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values[m.group(1)], template)


def _comparable(response: httpx.Response, *, with_length: bool) -> dict[str, str]:
    skipped = _PER_ANSWER | _HEAD_ONLY | (set() if with_length else {"content-length"})
    return {k: v for k, v in response.headers.items() if k not in skipped}


def _assert_head_matches_get(api: Api, path: str, headers: dict[str, str]) -> int:
    first, second = api.client.get(path, headers=headers), api.client.get(path, headers=headers)
    head = api.client.head(path, headers=headers)
    assert head.status_code == first.status_code, (path, head.status_code, head.text)
    assert head.content == b"", path
    # The length is compared where two GETs send the same bytes (not /metrics, whose counters move with every request).
    stable = first.content == second.content
    assert _comparable(head, with_length=stable) == _comparable(first, with_length=stable), path
    return head.status_code


def test_every_get_route_answers_head_with_its_status_and_headers_and_no_body(api: Api, ids: dict[str, str]) -> None:
    statuses = {}
    for template in _get_templates(api):
        path = _path(template, ids)
        statuses[path] = _assert_head_matches_get(api, path, api.auth("JP"))
    assert set(statuses.values()) == {200}, statuses  # the world has something behind every GET


def test_head_of_an_unknown_id_or_without_a_token_is_the_refusal_get_gives(api: Api) -> None:
    unknown = {"commitment": "0x" + "77" * 32, "reportId": "0x" + "77" * 32, "version": "9"}
    statuses = set()
    for template in _get_templates(api):
        statuses.add(_assert_head_matches_get(api, _path(template, unknown), {}))
        statuses.add(_assert_head_matches_get(api, _path(template, {**unknown, "commitment": "0x12"}), {}))
    assert {200, 401, 404, 422} <= statuses, statuses


def test_head_of_a_conditional_get_is_304_with_the_same_etag(api: Api, ids: dict[str, str]) -> None:
    path = f"/v1/applications/{ids['commitment']}"
    etag = api.client.get(path).headers["etag"]
    head = api.client.head(path, headers={"If-None-Match": etag})
    assert head.status_code == 304 and head.headers["etag"] == etag and head.content == b""


def test_head_of_the_notification_stream_answers_at_once_with_its_headers(api: Api) -> None:
    head = api.client.head("/v1/notifications", headers={**api.auth("JP"), "Accept": "text/event-stream"})
    assert head.status_code == 200
    assert head.headers["content-type"].startswith("text/event-stream") and head.content == b""


def test_head_where_no_get_serves_is_refused_as_before(api: Api) -> None:
    assert api.client.head("/v1/filings").status_code == 405  # POST only
    assert api.client.head("/v1/nothing-here").status_code == 404


def test_health_head_keeps_its_status_header_and_now_its_length(api: Api) -> None:
    get, head = api.client.get("/v1/health"), api.client.head("/v1/health")
    assert head.headers["x-health-status"] == get.json()["status"]
    assert head.headers["content-length"] == get.headers["content-length"] == str(len(get.content))
