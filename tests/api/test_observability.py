"""What an operator sees of a running gateway (issue 19, item 1): JSON logs with a request id, one
access line a request, Prometheus metrics, ``HEAD /v1/health`` — and never a secret in a log."""

from __future__ import annotations

import io
import json
import logging
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import structlog
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.auth import TokenStore
from api.observability import configure_logging, redact, request_id_from
from registry.cli import app as cli_app
from registry.domain.accesscodes import generate
from registry.index import Index
from registry.ledger.chain import Chain
from registry.ledger.client import deploy
from registry.service import RegistryService
from tests.api.helpers import claim, filing, verify_body

OFFICES = ("JP", "US")


@dataclass
class Logged:
    """An app whose log lines are captured, and every secret it was given."""

    client: TestClient
    tokens: dict[str, str]
    secrets: list[str]
    stream: io.StringIO

    def lines(self) -> list[dict[str, Any]]:
        """Every line logged so far, parsed (each must be one JSON object)."""
        return [json.loads(line) for line in self.stream.getvalue().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def logged() -> Iterator[Logged]:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    stream = io.StringIO()
    configure_logging("debug", stream)
    chain = Chain.embedded()
    registrar_key = chain.new_account()
    registrar = deploy(chain, registrar_key)
    service = RegistryService(chain, Index(":memory:", chain, registrar.address), registrar.address)
    known = [registrar_key.key.hex()]
    for office in OFFICES:
        key, seed = chain.new_account(), secrets.token_bytes(32)
        registrar.admit_office(office, key.address)
        service.add_office(office, key, seed)
        known += [key.key.hex(), seed.hex()]
    store = TokenStore()
    tokens = {office: store.issue(office) for office in OFFICES}
    try:
        app = create_app(service, store, follow_index=False, rate_limit=0)
        with TestClient(app, raise_server_exceptions=False) as client:
            yield Logged(client, tokens, known + list(tokens.values()), stream)
    finally:
        root.handlers[:], _ = saved[0], root.setLevel(saved[1])
        logging.getLogger("uvicorn.access").disabled = False
        structlog.reset_defaults()


def _access(lines: list[dict[str, Any]], request_id: str) -> list[dict[str, Any]]:
    return [line for line in lines if line.get("event") == "request" and line.get("requestId") == request_id]


def test_a_well_formed_request_id_is_kept_returned_and_logged(logged: Logged) -> None:
    response = logged.client.get("/v1/offices", headers={"X-Request-ID": "ops-2026.12:42_a"})
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "ops-2026.12:42_a"
    (line,) = _access(logged.lines(), "ops-2026.12:42_a")
    assert line["method"] == "GET" and line["route"] == "/v1/offices" and line["status"] == 200
    assert line["level"] == "info" and isinstance(line["ms"], float) and "timestamp" in line
    assert "office" not in line  # nobody authenticated


@pytest.mark.parametrize("sent", ["", "x" * 129, "a b", "<script>", 'x"}\n{"event": "forged"', "ü"])
def test_a_malformed_request_id_is_replaced_by_a_new_one(logged: Logged, sent: str) -> None:
    response = logged.client.get("/v1/offices", headers={"X-Request-ID": sent.encode("utf-8")})
    made = response.headers["x-request-id"]
    assert made != sent and re.fullmatch(r"[0-9a-f]{32}", made)
    assert len(_access(logged.lines(), made)) == 1
    assert not any(line.get("event") == "forged" for line in logged.lines())


def test_every_request_gets_its_own_id() -> None:
    assert request_id_from([]) != request_id_from([])


def test_every_line_of_a_request_carries_its_id_and_the_access_line_names_the_office(logged: Logged) -> None:
    body = filing("2017-555001", "2017-09-27", accessCode=str(generate()))
    response = logged.client.post("/v1/filings", json=body, headers={**_auth(logged, "JP"), "X-Request-ID": "anchor-1"})
    assert response.status_code == 201, response.text
    lines = [line for line in logged.lines() if line.get("requestId") == "anchor-1"]
    # The anchoring logs more than the access line (web3 at debug), all under the same id.
    assert len(lines) > 1, lines
    (access,) = _access(lines, "anchor-1")
    assert access["office"] == "JP" and access["route"] == "/v1/filings" and access["status"] == 201


def _auth(logged: Logged, office: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {logged.tokens[office]}"}


def test_no_token_key_seed_or_access_code_ever_reaches_the_log(logged: Logged) -> None:
    jp_code, us_code = str(generate()), str(generate())
    given = [jp_code, us_code, jp_code.replace("-", ""), "prt_notavalidtokenbutsecretlooking"]
    jp = filing("2017-555002", "2017-09-27", accessCode=jp_code)
    assert logged.client.post("/v1/filings", json=jp, headers=_auth(logged, "JP")).status_code == 201
    us = filing(
        "16/555,003",
        "2018-09-06",
        accessCode=us_code,
        priorityClaims=[claim("JP", "2017-555002", "2017-09-27", jp_code)],
    )
    assert logged.client.post("/v1/filings", json=us, headers=_auth(logged, "US")).status_code == 201
    verdict = logged.client.post(
        "/v1/priority-claims/verify",
        json=verify_body(claim("JP", "2017-555002", "2017-09-27", jp_code), "US", "2018-09-06"),
    )
    assert verdict.json()["verdict"] == "valid"
    # A wrong token, a malformed access code echoed nowhere, a publication with the code.
    wrong = logged.client.post("/v1/filings", json=jp, headers={"Authorization": f"Bearer {given[-1]}"})
    assert wrong.status_code == 401
    bad = verify_body(claim("JP", "2017-555002", "2017-09-27", jp_code[:-1] + "0"), "US", "2018-09-06")
    logged.client.post("/v1/priority-claims/verify", json=bad)
    logged.client.post(
        "/v1/publications", json={"applicationNumber": "16/555,003", "accessCode": us_code}, headers=_auth(logged, "US")
    )
    text = logged.stream.getvalue()
    assert text.count('"event": "request"') >= 6
    for secret in [*logged.secrets, *given, jp_code[:-1] + "0"]:
        for form in {secret, secret.lower(), secret.removeprefix("0x")}:
            assert form not in text, f"a secret reached the log: {form[:6]}…"


def test_secret_looking_text_and_secret_named_fields_are_masked_by_any_logger() -> None:
    event = redact(
        None,
        "info",
        {
            "event": "sent Authorization: Bearer prt_abcdefghijklmnopqrstuvwxyz with code 7JEY-NFRJ-JK7B-DJF3-1",
            "accessCode": "7JEYNFRJJK7BDJF31",
            "body": {"priority": {"accessCode": "x"}, "passphrase": "p"},
            "office_token": "t",
        },
    )
    assert "prt_" not in event["event"] and "7JEY" not in event["event"]
    assert event["accessCode"] == event["office_token"] == "[redacted]"
    assert event["body"] == {"priority": {"accessCode": "[redacted]"}, "passphrase": "[redacted]"}


def test_metrics_count_requests_per_route_template_and_status_and_follow_the_chain(logged: Logged) -> None:
    code = str(generate())
    body = filing("2017-555004", "2017-09-27", accessCode=code)
    assert logged.client.post("/v1/filings", json=body, headers=_auth(logged, "JP")).status_code == 201
    for _ in range(3):
        logged.client.get("/v1/applications/0x" + "ab" * 32)
    response = logged.client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    text = response.text
    samples = {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line and line[0] != "#"
    }
    assert samples['prioreg_http_requests_total{method="GET",route="/v1/applications/{commitment}",status="404"}'] >= 3
    assert (
        samples['prioreg_http_request_duration_seconds_count{method="GET",route="/v1/applications/{commitment}"}'] >= 3
    )
    assert samples['prioreg_anchored_records_total{office="JP",way="single"}'] >= 1
    head = samples["prioreg_chain_head_block"]
    assert head == logged.client.get("/v1/health").json()["blockNumber"]
    assert (
        samples["prioreg_index_block"] <= head
        and samples["prioreg_index_lag_blocks"] == head - samples["prioreg_index_block"]
    )
    assert samples["prioreg_chain_up"] == 1
    # ready for the gateway calls of docs/spec/between-gateways.md
    assert "# TYPE prioreg_gateway_calls_total counter" in text
    assert "0x" + "ab" * 32 not in text  # templates, never paths: the label set stays bounded


def test_head_health_answers_like_get_without_a_body(logged: Logged) -> None:
    response = logged.client.head("/v1/health")
    assert response.status_code == 200 and response.content == b""
    assert response.headers["x-health-status"] == logged.client.get("/v1/health").json()["status"]
    assert response.headers["x-request-id"]


def test_serve_refuses_an_unknown_log_level_before_touching_the_state(tmp_path: Any) -> None:
    result = CliRunner().invoke(cli_app, ["serve", "--state-dir", str(tmp_path / "s"), "--log-level", "loud"])
    assert result.exit_code == 2, result.output
    assert "--log-level" in result.output and not (tmp_path / "s").exists()
    result = CliRunner().invoke(cli_app, ["serve", "--state-dir", str(tmp_path / "s"), "--rate-limit", "-1"])
    assert result.exit_code == 2 and not (tmp_path / "s").exists()
