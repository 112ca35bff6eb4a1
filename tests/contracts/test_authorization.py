"""SPEC.md §3: every write function × every kind of caller, on the embedded chain.

Callers: the registrar; the key of the office concerned while it is active; the key of another
office; the key of the office concerned after the registrar suspended it; a stranger. Unauthorized
writes must revert with a typed error and change nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from registry import errors
from registry.entries import Entry, encode_entry
from registry.types import IpRightKind, date_to_days
from tests.contracts.conftest import Deployment

CALLERS = ("registrar", "own office", "other office", "own office, suspended", "stranger")
COMMITMENT = bytes.fromhex("aa" * 32)
EARLIER = bytes.fromhex("bb" * 32)
FILED = date_to_days(dt.date(2024, 3, 1))


def _filing(commitment: bytes = COMMITMENT) -> tuple[Any, ...]:
    return (commitment, 1, FILED, b"\x00" * 32, [(EARLIER, FILED - 100)])


def _stored(dep: Deployment) -> tuple[bytes, list[bytes]]:
    return (b"\x00" * 32, b"", [])


def _batched_entry() -> bytes:
    return encode_entry(Entry(COMMITMENT, IpRightKind.PATENT, dt.date(2024, 3, 1)))


def _batch_inclusion(dep: Deployment) -> tuple[bytes, bytes, list[bytes]]:
    entry = _batched_entry()
    # A one-leaf StandardMerkleTree: the root is the leaf itself and the proof is empty.
    return (dep.view("leafOf", entry), entry, [])


def _caller(dep: Deployment, who: str) -> LocalAccount:
    return {
        "registrar": dep.registrar,
        "own office": dep.offices["EP"],
        "other office": dep.offices["US"],
        "own office, suspended": dep.offices["EP"],
        "stranger": dep.stranger,
    }[who]


# Each action: (prepare state as the owning office EP, then return the call to make).
Action = Callable[[Deployment], tuple[str, tuple[Any, ...]]]


def _anchor_stored_first(dep: Deployment) -> None:
    dep.tx(dep.offices["EP"], "anchorFiling", _filing())


def _anchor_batch_first(dep: Deployment) -> None:
    root, entry, _ = _batch_inclusion(dep)
    dep.tx(dep.offices["EP"], "anchorBatch", root, 1, entry)


def _secret_commitment(dep: Deployment) -> bytes:
    return bytes(dep.view("computeCommitment", b"EP", "EP24123456", "0123456789ABCDEF"))


ACTIONS: dict[str, tuple[Callable[[Deployment], None] | None, Action, set[str]]] = {
    "admitOffice": (None, lambda d: ("admitOffice", (b"FR", d.chain.new_account().address)), {"registrar"}),
    "suspendOffice": (None, lambda d: ("suspendOffice", (b"EP",)), {"registrar"}),
    "reinstateOffice": (
        lambda d: d.tx(d.registrar, "suspendOffice", b"EP"),
        lambda d: ("reinstateOffice", (b"EP",)),
        {"registrar"},
    ),
    "rotateOfficeKey": (
        None,
        lambda d: ("rotateOfficeKey", (b"EP", d.chain.new_account().address)),
        {"registrar", "own office"},
    ),
    "anchorFiling": (None, lambda d: ("anchorFiling", (_filing(),)), {"own office"}),
    "anchorBatch": (
        None,
        lambda d: ("anchorBatch", (_batch_inclusion(d)[0], 1, _batched_entry())),
        {"own office"},
    ),
    "amendFiling (stored)": (
        _anchor_stored_first,
        lambda d: ("amendFiling", (COMMITMENT, FILED - 1, b"\x01" * 32, _stored(d))),
        {"own office"},
    ),
    "amendFiling (batched)": (
        _anchor_batch_first,
        lambda d: ("amendFiling", (COMMITMENT, FILED - 1, b"\x01" * 32, _batch_inclusion(d))),
        {"own office"},
    ),
    "addPriorityClaim (stored)": (
        _anchor_stored_first,
        lambda d: ("addPriorityClaim", (COMMITMENT, (b"\xcc" * 32, FILED - 5), _stored(d))),
        {"own office"},
    ),
    "addPriorityClaim (batched)": (
        _anchor_batch_first,
        lambda d: ("addPriorityClaim", (COMMITMENT, (b"\xcc" * 32, FILED - 5), _batch_inclusion(d))),
        {"own office"},
    ),
    "withdrawPriorityClaim (stored)": (
        _anchor_stored_first,
        lambda d: ("withdrawPriorityClaim", (COMMITMENT, EARLIER, _stored(d))),
        {"own office"},
    ),
    "withdrawPriorityClaim (batched)": (
        _anchor_batch_first,
        lambda d: ("withdrawPriorityClaim", (COMMITMENT, EARLIER, _batch_inclusion(d))),
        {"own office"},
    ),
    "publishFiling": (
        lambda d: d.tx(d.offices["EP"], "anchorFiling", _filing(_secret_commitment(d))),
        lambda d: ("publishFiling", (b"EP", "EP24123456", "0123456789ABCDEF", _stored(d))),
        {"own office"},
    ),
}


def _state(dep: Deployment) -> tuple[Any, ...]:
    """Everything the actions above can change, read back from the contract."""
    return (
        tuple(tuple(dep.view("getOffice", c)) for c in (b"EP", b"US", b"JP", b"FR")),
        tuple(dep.view("getRecord", COMMITMENT)),
        tuple(dep.view("getRecord", _secret_commitment(dep))),
        tuple(dep.view("getBatch", _batch_inclusion(dep)[0])),
        dep.view("versionOf", b"\x00" * 32, COMMITMENT),
        dep.view("versionOf", _batch_inclusion(dep)[0], COMMITMENT),
        dep.view("isPublished", b"\x00" * 32, _secret_commitment(dep)),
    )


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_every_write_is_allowed_only_for_the_callers_of_the_authorization_table(
    deployment: Deployment, action: str, caller: str
) -> None:
    prepare, make_call, allowed = ACTIONS[action]
    if prepare is not None:
        prepare(deployment)
    if caller == "own office, suspended" and deployment.view("getOffice", b"EP")[2]:
        deployment.tx(deployment.registrar, "suspendOffice", b"EP")
    fn, args = make_call(deployment)
    account = _caller(deployment, caller)
    before = _state(deployment)
    if fn in ("anchorFiling", "anchorBatch") and caller == "other office":
        # A commitment is opaque on chain: another office's key can anchor the same bytes, but
        # only as itself. It can never write a record that counts for EP (SPEC.md §1).
        deployment.tx(account, fn, *args)
        assert deployment.view("getRecord", COMMITMENT)[0] in (b"US", b"\x00\x00")
        assert deployment.view("getBatch", _batch_inclusion(deployment)[0])[0] in (b"US", b"\x00\x00")
        assert b"EP" not in (
            deployment.view("getRecord", COMMITMENT)[0],
            deployment.view("getBatch", _batch_inclusion(deployment)[0])[0],
        )
    elif caller in allowed:
        sent = deployment.tx(account, fn, *args)
        assert sent.receipt["status"] == 1
        assert _state(deployment) != before
    else:
        with pytest.raises(errors.ContractRevert) as refused:
            deployment.tx(account, fn, *args)
        assert refused.value.name.startswith(("PriorityRegistry", "AccessControl"))
        assert isinstance(
            refused.value,
            errors.Unauthorized | errors.NotOfficeSigner | errors.OfficeNotActive,
        ), refused.value.name
        assert _state(deployment) == before


def test_a_suspended_office_can_no_longer_rotate_its_own_key_but_the_registrar_can(
    deployment: Deployment,
) -> None:
    ep = deployment.offices["EP"]
    deployment.tx(deployment.registrar, "suspendOffice", b"EP")
    new_key = deployment.chain.new_account()
    with pytest.raises(errors.Unauthorized):
        deployment.tx(ep, "rotateOfficeKey", b"EP", new_key.address)
    deployment.tx(deployment.registrar, "rotateOfficeKey", b"EP", new_key.address)
    assert deployment.view("getOffice", b"EP")[0] == new_key.address
    assert deployment.view("officeOfSigner", ep.address) == b"\x00\x00"


def test_a_rotated_out_key_can_no_longer_anchor(deployment: Deployment) -> None:
    old = deployment.offices["EP"]
    new = deployment.chain.new_account()
    deployment.tx(old, "rotateOfficeKey", b"EP", new.address)
    with pytest.raises(errors.NotOfficeSigner):
        deployment.tx(old, "anchorFiling", _filing())
    deployment.tx(new, "anchorFiling", _filing())
    assert deployment.view("getRecord", COMMITMENT)[0] == b"EP"


def test_a_second_anchor_of_the_same_commitment_is_a_conflict_not_an_overwrite(deployment: Deployment) -> None:
    deployment.tx(deployment.offices["EP"], "anchorFiling", _filing())
    with pytest.raises(errors.AlreadyAnchored) as conflict:
        deployment.tx(deployment.offices["US"], "anchorFiling", _filing())
    assert conflict.value.error_args["commitment"] == COMMITMENT
    assert deployment.view("getRecord", COMMITMENT)[0] == b"EP"


def test_admitting_an_office_twice_or_reusing_a_key_is_refused(deployment: Deployment) -> None:
    with pytest.raises(errors.ContractRevert, match="OfficeAlreadyAdmitted"):
        deployment.tx(deployment.registrar, "admitOffice", b"EP", deployment.chain.new_account().address)
    with pytest.raises(errors.ContractRevert, match="InvalidSigner"):
        deployment.tx(deployment.registrar, "admitOffice", b"FR", deployment.offices["US"].address)


def test_amendments_are_new_versions_announced_as_events(deployment: Deployment) -> None:
    ep = deployment.offices["EP"]
    deployment.tx(ep, "anchorFiling", _filing())
    first = deployment.tx(ep, "amendFiling", COMMITMENT, FILED - 1, b"\x01" * 32, _stored(deployment))
    second = deployment.tx(ep, "withdrawPriorityClaim", COMMITMENT, EARLIER, _stored(deployment))
    amended = deployment.contract.events.FilingAmended().process_receipt(first.receipt)
    withdrawn = deployment.contract.events.PriorityClaimWithdrawn().process_receipt(second.receipt)
    assert amended[0]["args"]["version"] == 2
    assert amended[0]["args"]["filingDate"] == FILED - 1
    assert withdrawn[0]["args"]["version"] == 3
    assert deployment.view("versionOf", b"\x00" * 32, COMMITMENT) == 3
    # The anchored version 1 stays as it was.
    assert deployment.view("getRecord", COMMITMENT)[2] == FILED


def test_publication_must_hash_to_the_commitment(deployment: Deployment) -> None:
    ep = deployment.offices["EP"]
    deployment.tx(ep, "anchorFiling", _filing(_secret_commitment(deployment)))
    with pytest.raises(errors.NotAnchored):
        deployment.tx(ep, "publishFiling", b"EP", "EP24123456", "WRONGWRONGWRONG0", _stored(deployment))
    deployment.tx(ep, "publishFiling", b"EP", "EP24123456", "0123456789ABCDEF", _stored(deployment))
    with pytest.raises(errors.AlreadyPublished):
        deployment.tx(ep, "publishFiling", b"EP", "EP24123456", "0123456789ABCDEF", _stored(deployment))


def test_a_pct_number_anchored_by_its_receiving_office_is_published_under_wo(deployment: Deployment) -> None:
    us = deployment.offices["US"]
    number, secret = "PCTUS2015027322", "0123456789ABCDEF"
    commitment = bytes(deployment.view("computeCommitment", b"WO", number, secret))
    deployment.tx(us, "anchorFiling", _filing(commitment))
    deployment.tx(us, "publishFiling", b"WO", number, secret, _stored(deployment))
    other = bytes(deployment.view("computeCommitment", b"JP", "JP2017187096", secret))
    deployment.tx(us, "anchorFiling", _filing(other))
    with pytest.raises(errors.Unauthorized, match="OfficeMismatch"):
        deployment.tx(us, "publishFiling", b"JP", "JP2017187096", secret, _stored(deployment))


@pytest.mark.parametrize(
    ("filing", "error"),
    [
        ((COMMITMENT, 0, FILED, b"\x00" * 32, []), "InvalidKind"),
        ((COMMITMENT, 5, FILED, b"\x00" * 32, []), "InvalidKind"),
        ((COMMITMENT, 1, 0, b"\x00" * 32, []), "InvalidDate"),
        ((COMMITMENT, 1, FILED, b"\x00" * 32, [(COMMITMENT, FILED - 1)]), "SelfClaim"),
        ((COMMITMENT, 1, FILED, b"\x00" * 32, [(EARLIER, 0)]), "InvalidDate"),
    ],
)
def test_malformed_single_filings_are_refused(deployment: Deployment, filing: tuple[Any, ...], error: str) -> None:
    with pytest.raises(errors.ContractRevert, match=error):
        deployment.tx(deployment.offices["EP"], "anchorFiling", filing)
    assert deployment.view("getRecord", COMMITMENT)[0] == b"\x00\x00"
