"""Acceptance of issue 11 (docs/design.md#p9-no-office-can-hurt-another, docs/spec/entries.md#uniqueness-is-per-office):
no office can hurt another.

An attacking office writes, from its own key straight to the ledger, what the contract cannot
rule out because it does not parse batch entries: the victim's commitment with a filing date of
0xFFFFFFFF, claims on the victim's application dated 0xFFFFFFFF or 0, an entry whose claim count
runs past its bytes. Every endpoint for the victim must still answer 200 with the victim's facts;
the attacker's batch is refused for the attacker alone. And a claim on another office's
application made without its access code is shown but never confirmed.
"""

from __future__ import annotations

import datetime as dt
import secrets
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import TokenStore
from registry import errors
from registry.domain.entries import Entry
from registry.domain.types import IpRightKind
from registry.index import Index
from registry.ledger.chain import Chain
from registry.ledger.client import RegistryClient, deploy
from registry.service import RegistryService
from tests.api.helpers import claim, filing, verify_body

OFFICES = ("EP", "US", "JP")
ABSURD = (0xFFFFFFFF, 0, 0x7FFFFFFF)


@dataclass
class World:
    client: TestClient
    tokens: dict[str, str]
    service: RegistryService
    keys: dict[str, LocalAccount]

    def auth(self, office: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[office]}"}

    def raw(self, office: str) -> RegistryClient:
        """The office's key writing to the ledger directly, past every check of the API."""
        return RegistryClient(self.service.chain, self.service.contract, self.keys[office])


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    chain = Chain.embedded()
    registrar = deploy(chain, chain.new_account())
    service = RegistryService(chain, Index(":memory:", chain, registrar.address), registrar.address)
    keys = {}
    for office in OFFICES:
        keys[office] = chain.new_account()
        registrar.admit_office(office, keys[office].address)
        service.add_office(office, keys[office], secrets.token_bytes(32))
    store = TokenStore()
    tokens = {office: store.issue(office) for office in OFFICES}
    with TestClient(create_app(service, store, follow_index=False), raise_server_exceptions=False) as client:
        yield World(client, tokens, service, keys)


def _file(world: World, office: str, body: dict[str, Any]) -> dict[str, Any]:
    response = world.client.post("/v1/filings", json=body, headers=world.auth(office))
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


def _entry(
    commitment: bytes, date: int, claims: Sequence[tuple[bytes, bytes, int, bytes]] = (), *, flags: int | None = None
) -> bytes:
    """A packed batch entry (docs/spec/entries.md#batch-entry-layout), written byte by byte so that it can carry any
    value."""
    head = commitment + bytes([1]) + struct.pack(">I", date) + bytes([len(claims) if flags is None else flags])
    return head + b"".join(o + c + struct.pack(">I", d) + t for o, c, d, t in claims)


def _victims_endpoints(world: World, commitment: str, number: str, day: str, code: str) -> None:
    paths = [
        f"/v1/applications/{commitment}",
        f"/v1/applications/{commitment}?ipOfficeCode=EP",
        f"/v1/families/{commitment}",
        f"/v1/families/{commitment}?ipOfficeCode=EP",
        f"/v1/families/{commitment}.svg",
        f"/v1/families/{commitment}.svg?ipOfficeCode=EP",
        "/v1/offices",
        "/v1/health",
        "/",
    ]
    for path in paths:
        response = world.client.get(path)
        assert response.status_code == 200, (path, response.text)
    record = world.client.get(f"/v1/applications/{commitment}?ipOfficeCode=EP").json()
    assert record["anchoredBy"] == "EP" and record["filingDate"] == day
    verified = world.client.post(
        "/v1/priority-claims/verify", json=verify_body(claim("EP", number, day, code), "JP", "2024-09-01")
    )
    assert verified.status_code == 200, verified.text
    assert verified.json()["verdict"] == "valid", verified.json()


def test_absurd_dates_in_another_offices_anchors_and_claims_leave_every_endpoint_of_the_victim_at_200(
    world: World,
) -> None:
    victim = _file(world, "EP", filing("24150001", "2024-03-01"))
    commitment = bytes.fromhex(victim["commitment"][2:])
    poisoned: list[bytes] = []
    for date in ABSURD:
        # The victim's very commitment, under the attacker's office, dated beyond any calendar.
        poisoned.append(_entry(commitment, date))
        # Claims on the victim's application (naming EP) with absurd claimed dates.
        poisoned.append(_entry(keccak(b"attacker-%d" % date), 19800, [(b"EP", commitment, date, b"\x00" * 16)]))
    # A claim count that runs past the entry's bytes, and one naming no office at all.
    poisoned.append(_entry(keccak(b"short"), 19800, [], flags=3))
    poisoned.append(_entry(keccak(b"nobody"), 19800, [(b"\x00\x00", commitment, 19700, b"\x00" * 16)]))
    # Stored anchors, claims and amendments are dated by the contract itself: refused on chain.
    us = world.raw("US")
    us.anchor_filing(Entry(commitment, IpRightKind.PATENT, dt.date(2024, 2, 1)))
    for date in (0xFFFFFFFF, 0):
        with pytest.raises(errors.ContractRevert, match="InvalidDate"):
            us.amend_filing(commitment, date, None)
        with pytest.raises(errors.ContractRevert, match="InvalidDate"):
            us.add_priority_claim(commitment, "JP", keccak(b"elsewhere"), date)
    for entry in poisoned:
        world.raw("US").anchor_batch([entry])  # one batch each: each is refused on its own
    # A well-formed US batch naming the victim's application with a plausible date: shown as a claim.
    world.raw("US").anchor_batch([_entry(keccak(b"plausible"), 19900, [(b"EP", commitment, 19783, b"\x01" * 16)])])
    world.service.sync()

    # Each poisoned batch is refused and reported, for the attacker alone; the plausible one is not.
    refused = world.service.index.refused_batches()
    assert len(refused) == len(poisoned)
    assert {r.office for r in refused} == {"US"}
    assert world.service.index.claimed_by("EP", commitment) != ()
    _victims_endpoints(world, victim["commitment"], "24150001", "2024-03-01", victim["accessCode"])


def test_a_claim_without_the_earlier_access_code_is_shown_but_never_confirmed(world: World) -> None:
    earlier = _file(world, "JP", filing("2024-100001", "2024-01-10"))
    genuine = _file(
        world,
        "US",
        filing(
            "18/555,001", "2024-06-01", priorityClaims=[claim("JP", "2024-100001", "2024-01-10", earlier["accessCode"])]
        ),
    )
    # EP knows the commitment (it is public) but not the access code: it writes a claim with a made-up
    # token and, separately, copies the genuine claim's token onto a record of its own.
    jp_commitment = bytes.fromhex(earlier["commitment"][2:])
    ep_raw = world.raw("EP")
    for label, token in (("made-up", b"\x5a" * 16), ("copied", _token_of(world, genuine["commitment"]))):
        ep_raw.anchor_batch([_entry(keccak(label.encode()), 19880, [(b"JP", jp_commitment, 19732, token)])])
    for _ in range(3):
        world.service.sync()  # several sync steps of JP's gateway

    us_claims = world.client.get(f"/v1/applications/{genuine['commitment']}").json()["priorityClaims"]
    assert [(c["ipOfficeCode"], c["confirmed"]) for c in us_claims] == [("JP", True)]
    for label in ("made-up", "copied"):
        answer = world.client.get(f"/v1/applications/0x{keccak(label.encode()).hex()}?ipOfficeCode=EP")
        assert answer.status_code == 200, answer.text
        (shown,) = answer.json()["priorityClaims"]
        assert shown["commitment"] == earlier["commitment"] and shown["ipOfficeCode"] == "JP"
        assert shown["confirmed"] is False
    family = world.client.get(f"/v1/families/{earlier['commitment']}").json()
    confirmed = {(link["fromOffice"], link["from"]): link["confirmed"] for link in family["links"]}
    assert confirmed[("US", genuine["commitment"])] is True
    assert confirmed[("EP", "0x" + keccak(b"made-up").hex())] is False
    assert confirmed[("EP", "0x" + keccak(b"copied").hex())] is False


def _token_of(world: World, later: str) -> bytes:
    (claim_row,) = world.service.index.claims_of("US", bytes.fromhex(later[2:]))
    return claim_row.claim_token
