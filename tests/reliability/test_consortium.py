"""A laptop consortium (issue 15, docs/design.md#one-office-one-gateway "One office, one gateway"): three offices, three
gateways.

``prioreg network init`` on one anvil, one token a gateway, then three ``prioreg serve --state-dir
D/CC`` processes on three ports, each holding only its own office's key. What must hold: each
gateway finds the others in the on-chain directory; a claim anchored at one verifies at all three;
the earlier office's gateway — the only one holding its key — confirms the claim link; a token of
one gateway opens nothing at another; killing a gateway stops no other, and it catches up with
what was anchored meanwhile when it starts again.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from registry.cli import app
from registry.ledger.chain import Chain
from tests.support.anvil import running_anvil
from tests.support.gateways import Gateway

runner = CliRunner()
OFFICES = ("JP", "US", "EP")
JP_FILING = {"applicationNumber": "2017-187096", "filingDate": "2017-09-27", "ipRightKind": "patent"}


class Consortium:
    """The network directory, the gateways by office and each gateway's token."""

    def __init__(self, root: Path, rpc_url: str, gateways: dict[str, Gateway], tokens: dict[str, str]) -> None:
        self.root = root
        self.rpc_url = rpc_url
        self.gateways = gateways
        self.tokens = tokens
        self.network = json.loads((root / "network.json").read_text())

    def confirmers(self, later: str) -> list[str]:
        """Who sent each transaction confirming a claim of the later application ``later``."""
        chain = Chain.connect(self.rpc_url)
        try:
            registry = chain.registry_contract(self.network["contract"])
            logs = registry.events.PriorityClaimConfirmed().get_logs(
                from_block=0, argument_filters={"laterCommitment": bytes.fromhex(later[2:])}
            )
            return [str(chain.w3.eth.get_transaction(log["transactionHash"])["from"]) for log in logs]
        finally:
            chain.close()

    def claim(self, office: str, number: str, earlier: str, code: str) -> httpx.Response:
        """File ``number`` at ``office``'s gateway claiming JP's ``earlier`` (filed 2017-09-27)."""
        body = {
            "applicationNumber": number,
            "filingDate": "2018-09-06",
            "ipRightKind": "patent",
            "priorityClaims": [
                {"ipOfficeCode": "JP", "applicationNumber": earlier, "filingDate": "2017-09-27", "accessCode": code}
            ],
        }
        return httpx.post(self.url(office) + "/v1/filings", json=body, headers=self.auth(office), timeout=30)

    def confirmed(self, office: str, commitment: str, ip_office: str) -> bool:
        """Whether ``office``'s gateway shows the first claim of the record confirmed."""
        answer = httpx.get(f"{self.url(office)}/v1/applications/{commitment}?ipOfficeCode={ip_office}")
        if answer.status_code == 404:
            return False  # that gateway has not indexed the record yet
        claims = answer.json()["priorityClaims"]
        return bool(claims and claims[0]["confirmed"])

    def auth(self, office: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[office]}"}

    def url(self, office: str) -> str:
        return self.gateways[office].url


@pytest.fixture(scope="module")
def consortium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Consortium]:
    root = tmp_path_factory.mktemp("consortium") / "net"
    with running_anvil() as rpc_url:
        made = runner.invoke(
            app, ["network", "init", "--rpc-url", rpc_url, "--offices", ",".join(OFFICES), "--dir", str(root)]
        )
        assert made.exit_code == 0, made.output
        tokens = {}
        for office in OFFICES:
            out = runner.invoke(app, ["tokens", "create", "--state-dir", str(root / office), "--json"])
            assert out.exit_code == 0, out.output
            tokens[office] = json.loads(out.stdout)["token"]
        gateways = {office: Gateway(office, root / office) for office in OFFICES}
        try:
            for gateway in gateways.values():  # started side by side: each waits only for its own node calls
                gateway.launch()
            for gateway in gateways.values():
                gateway.wait()
            yield Consortium(root, rpc_url, gateways, tokens)
        finally:
            for gateway in gateways.values():
                gateway.stop()


def _verify_body(code: str, number: str = "2017-187096", day: str = "2017-09-27") -> dict[str, Any]:
    return {
        "priority": {"ipOfficeCode": "JP", "applicationNumber": number, "filingDate": day, "accessCode": code},
        "later": {"ipOfficeCode": "US", "filingDate": "2018-09-06", "ipRightKind": "patent"},
    }


def _eventually(check: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def test_every_gateway_finds_every_other_in_the_on_chain_directory(consortium: Consortium) -> None:
    expected = {office: consortium.url(office) for office in OFFICES}
    for office in OFFICES:
        # A gateway started before another one follows the directory on its next sync step.
        def endpoints(office: str = office) -> dict[str, str | None]:
            return {o["ipOfficeCode"]: o["endpoint"] for o in httpx.get(consortium.url(office) + "/v1/offices").json()}

        assert _eventually(lambda: endpoints() == expected), endpoints()
        assert all(o["active"] for o in httpx.get(consortium.url(office) + "/v1/offices").json())


def test_a_claim_anchored_at_one_gateway_verifies_at_all_three_and_the_first_office_confirms_it(
    consortium: Consortium,
) -> None:
    jp = httpx.post(consortium.url("JP") + "/v1/filings", json=JP_FILING, headers=consortium.auth("JP"))
    assert jp.status_code == 201, jp.text
    code = jp.json()["accessCode"]
    us = consortium.claim("US", "16/123,456", "2017-187096", code)
    assert us.status_code == 201, us.text
    assert us.json()["priorityClaims"][0]["verification"]["verdict"] == "valid"

    for office in OFFICES:
        verdict = _eventually(
            lambda office=office: (
                httpx.post(consortium.url(office) + "/v1/priority-claims/verify", json=_verify_body(code)).json()[
                    "verdict"
                ]
                == "valid"
            )
        )
        assert verdict, f"not valid at {office}'s gateway"

    # JP's gateway alone holds JP's key and its own numbers: it confirms the link on its sync step.
    commitment = us.json()["commitment"]
    assert all(_eventually(lambda o=o: consortium.confirmed(o, commitment, "US")) for o in OFFICES)
    assert consortium.confirmers(commitment) == [consortium.network["offices"]["JP"]["signer"]]


def test_a_token_of_one_gateway_is_refused_at_another(consortium: Consortium) -> None:
    body = {"applicationNumber": "16/123,457", "filingDate": "2018-09-06", "ipRightKind": "patent"}
    refused = httpx.post(consortium.url("US") + "/v1/filings", json=body, headers=consortium.auth("JP"))
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "UNAUTHENTICATED"
    # EP's token at JP's gateway: refused too — gateways share no tokens.
    jp_body = {"applicationNumber": "2017-187099", "filingDate": "2017-09-27", "ipRightKind": "patent"}
    assert (
        httpx.post(consortium.url("JP") + "/v1/filings", json=jp_body, headers=consortium.auth("EP")).status_code == 401
    )


def test_a_token_created_or_revoked_while_a_gateway_runs_applies_within_a_second(consortium: Consortium) -> None:
    state = str(consortium.root / "US")
    made = runner.invoke(app, ["tokens", "create", "--state-dir", state, "--json"])
    assert made.exit_code == 0, made.output
    created = json.loads(made.stdout)
    headers = {"Authorization": f"Bearer {created['token']}"}
    body = {"applicationNumber": "16/123,459", "filingDate": "2018-09-06", "ipRightKind": "patent"}
    started = time.monotonic()
    assert _eventually(
        lambda: (
            httpx.post(consortium.url("US") + "/v1/filings", json=body, headers=headers, timeout=30).status_code == 201
        ),
        timeout=5.0,
    )
    assert time.monotonic() - started < 5.0
    revoked = runner.invoke(app, ["tokens", "revoke", created["id"], "--state-dir", state])
    assert revoked.exit_code == 0, revoked.output
    time.sleep(1.0)
    again = {**body, "applicationNumber": "16/123,460"}
    assert httpx.post(consortium.url("US") + "/v1/filings", json=again, headers=headers).status_code == 401


def test_killing_gateways_stops_no_other_and_each_catches_up_when_restarted(consortium: Consortium) -> None:
    ep, jp = consortium.gateways["EP"], consortium.gateways["JP"]
    ep.kill()
    filing = {"applicationNumber": "2017-187098", "filingDate": "2017-09-27", "ipRightKind": "patent"}
    anchored = httpx.post(consortium.url("JP") + "/v1/filings", json=filing, headers=consortium.auth("JP"), timeout=30)
    assert anchored.status_code == 201, anchored.text
    code = anchored.json()["accessCode"]
    with pytest.raises(httpx.TransportError):
        httpx.get(ep.url + "/v1/health", timeout=2.0)

    # With the first office's gateway down too, US's still anchors a claim on JP's new filing; nobody
    # but JP's gateway can confirm it.
    jp.kill()
    later = consortium.claim("US", "16/123,458", "2017-187098", code)
    assert later.status_code == 201, later.text
    assert later.json()["priorityClaims"][0]["verification"]["verdict"] == "valid"
    commitment = later.json()["commitment"]
    time.sleep(1.0)  # a few sync steps of US's gateway
    assert not consortium.confirmed("US", commitment, "US")

    ep.launch()
    jp.launch()
    ep.wait()
    jp.wait()
    # A gateway syncs before it serves: what was anchored while it was down is there at once …
    body = _verify_body(code, "2017-187098")
    assert httpx.post(ep.url + "/v1/priority-claims/verify", json=body).json()["verdict"] == "valid"
    assert {o["ipOfficeCode"]: o["endpoint"] for o in httpx.get(ep.url + "/v1/offices").json()}["EP"] == ep.url
    # … and the first office's gateway confirms the claim made meanwhile on its next sync step.
    assert _eventually(lambda: consortium.confirmed("US", commitment, "US"))
    assert consortium.confirmers(commitment) == [consortium.network["offices"]["JP"]["signer"]]
