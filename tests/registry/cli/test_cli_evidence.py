"""``prioreg check-evidence`` (docs/api.md#evidence): a saved verify answer re-checked against a node.

A stored and a batched record are anchored on a fresh anvil node started by the test; their verify answers are
saved to files, the service is closed, and the command re-checks them with nothing but the node's URL. Tampered
files (proof, block hash, verdict) exit 1, a malformed one 2, an unreachable node 3; the same against the
embedded chain kept in a state directory (``--state-dir``).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from registry.cli import app
from registry.domain.filings import ClaimInput, FilingInput
from registry.domain.rules import LaterApplication
from registry.domain.types import IpRightKind
from registry.index import Index
from registry.ledger.chain import ANVIL_DEV_KEY, Chain
from registry.ledger.client import deploy
from registry.service import RegistryService
from registry.service.answers import VerificationOut
from tests.support.anvil import running_anvil

pytestmark = [pytest.mark.anvil]

runner = CliRunner()
LATER = LaterApplication.read("US", dt.date(2018, 9, 6), IpRightKind.PATENT)


def _service(chain: Chain) -> RegistryService:
    registrar = deploy(chain, chain.new_account())
    service = RegistryService(chain, Index(":memory:", chain, registrar.address), registrar.address)
    key = chain.new_account()
    registrar.admit_office("JP", key.address)
    service.add_office("JP", key, secrets.token_bytes(32))
    return service


def _answers(service: RegistryService) -> dict[str, dict[str, Any]]:
    """The verify answers of a stored and of a batched JP record, as the API writes them."""
    stored = service.anchor("JP", FilingInput("2017-187096", dt.date(2017, 9, 27), IpRightKind.PATENT))
    _batches, batched = service.anchor_batch(
        "JP",
        [FilingInput(f"2017-18710{i}", dt.date(2017, 10, 2), IpRightKind.PATENT) for i in range(3)],
    )
    out = {}
    for name, outcome in (("stored", stored), ("batched", batched[1])):
        p = outcome.prepared
        claim = ClaimInput("JP", p.number.canonical, p.entry.filing_date, str(p.access_code))
        verification, evidence = service.verify_with_evidence(claim, LATER)
        out[name] = VerificationOut.of(verification, evidence).body()
    return out


@pytest.fixture(scope="module")
def anvil_answers() -> Iterator[tuple[str, dict[str, dict[str, Any]]]]:
    with running_anvil() as url:
        chain = Chain.connect(url, funder_key=ANVIL_DEV_KEY)
        service = _service(chain)
        answers = _answers(service)
        chain.close()  # the gateway is gone: only the node is left
        yield url, answers


def _run(tmp_path: Path, answer: Any, *where: str) -> Any:
    path = tmp_path / "answer.json"
    path.write_text(answer if isinstance(answer, str) else json.dumps(answer), encoding="utf-8")
    return runner.invoke(app, ["check-evidence", str(path), *where])


def test_a_stored_and_a_batched_record_are_re_checked_against_the_node_alone(
    anvil_answers: tuple[str, dict[str, dict[str, Any]]], tmp_path: Path
) -> None:
    url, answers = anvil_answers
    assert answers["stored"]["evidence"]["batchRoot"] is None
    assert answers["batched"]["evidence"]["proof"]
    for answer in answers.values():
        result = _run(tmp_path, answer, "--rpc-url", url)
        assert result.exit_code == 0, result.output
        assert "the evidence holds" in result.output
        for name in ("chainId", "blockHash", "transaction", "event", "calldata", "onChain", "facts", "verdict"):
            assert f"ok      {name}:" in result.output, result.output
    assert "ok      merkleProof:" in _run(tmp_path, answers["batched"], "--rpc-url", url).output


def _tampered(answer: dict[str, Any], how: str) -> dict[str, Any]:
    changed = copy.deepcopy(answer)
    evidence = changed["evidence"]
    if how == "proof":
        evidence["proof"][0] = "0x" + "11" * 32
    elif how == "blockHash":
        evidence["blockHash"] = "0x" + "22" * 32
    elif how == "verdict":
        changed["verdict"] = "invalid"
    return changed


@pytest.mark.parametrize(("which", "how"), [("batched", "proof"), ("stored", "blockHash"), ("batched", "verdict")])
def test_tampered_evidence_is_refused_with_one_line_naming_what_differs(
    anvil_answers: tuple[str, dict[str, dict[str, Any]]], tmp_path: Path, which: str, how: str
) -> None:
    url, answers = anvil_answers
    result = _run(tmp_path, _tampered(answers[which], how), "--rpc-url", url)
    assert result.exit_code == 1, result.output
    failed = [line for line in result.output.splitlines() if line.startswith("DIFFERS")]
    assert len(failed) == 1, result.output
    expected = {"proof": "merkleProof", "blockHash": "blockHash", "verdict": "verdict"}[how]
    assert failed[0].startswith(f"DIFFERS {expected}:"), result.output


@pytest.mark.parametrize(
    "text",
    ['{"verdict": "valid"', '{"verdict": "valid"}', "[]"],
    ids=["not json", "not an answer", "not an object"],
)
def test_a_malformed_file_exits_2(
    anvil_answers: tuple[str, dict[str, dict[str, Any]]], tmp_path: Path, text: str
) -> None:
    url, _answers = anvil_answers
    result = _run(tmp_path, text, "--rpc-url", url)
    assert result.exit_code == 2, result.output


def test_an_answer_without_evidence_is_malformed(
    anvil_answers: tuple[str, dict[str, dict[str, Any]]], tmp_path: Path
) -> None:
    url, answers = anvil_answers
    answer = dict(answers["stored"], evidence=None)
    assert _run(tmp_path, answer, "--rpc-url", url).exit_code == 2


def test_an_unreachable_node_exits_3(anvil_answers: tuple[str, dict[str, dict[str, Any]]], tmp_path: Path) -> None:
    _url, answers = anvil_answers
    result = _run(tmp_path, answers["stored"], "--rpc-url", "http://127.0.0.1:9")
    assert result.exit_code == 3, result.output


def test_evidence_is_re_checked_against_the_embedded_chain_of_a_state_directory(tmp_path: Path) -> None:
    state = tmp_path / "state"
    chain = Chain.embedded(state)
    try:
        answers = _answers(_service(chain))
    finally:
        chain.close()
    for answer in answers.values():
        result = _run(tmp_path, answer, "--state-dir", str(state))
        assert result.exit_code == 0, result.output
    assert _run(tmp_path, _tampered(answers["batched"], "proof"), "--state-dir", str(state)).exit_code == 1
