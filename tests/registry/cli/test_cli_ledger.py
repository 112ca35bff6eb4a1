"""``prioreg`` ledger commands on the durable embedded chain, each call its own process state.

deploy → keys → admit → anchor → import (CSV and JSON Lines) → verify → family, with the state
directory carrying the chain (journal), the keys and the index between commands.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from registry.cli import app
from registry.domain.merkle import verify_entry
from registry.ops.config import Settings
from registry.ops.deployment import open_deployment

runner = CliRunner()
ENV = {"PRIOREG_KEY_PASSPHRASE": "cli-test-passphrase"}


def prioreg(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args), env=ENV)
    assert result.exit_code == code, result.output
    return result.output


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("state")
    prioreg("deploy", "--state-dir", str(path), "--json")
    for office in ("JP", "US"):
        prioreg("keys", "create", office, "--dir", str(path / "keys"), "--scrypt-n", "16")
        prioreg("admit", office, "--state-dir", str(path), "--json")
    return path


def test_an_office_anchors_and_an_examiner_verifies_from_the_terminal(state: Path) -> None:
    out = json.loads(
        prioreg(
            "anchor",
            "--office",
            "JP",
            "--number",
            "特願2017-187096",
            "--date",
            "2017-09-27",
            "--state-dir",
            str(state),
            "--json",
        )
    )
    assert out["applicationNumber"] == "JP2017187096"
    code = out["accessCode"]
    us = json.loads(
        prioreg(
            "anchor",
            "--office",
            "US",
            "--number",
            "16/123,456",
            "--date",
            "2018-09-06",
            "--claim",
            f"JP,2017-187096,2017-09-27,{code}",
            "--state-dir",
            str(state),
            "--json",
        )
    )
    assert us["claims"] == ["valid"]
    verdict = json.loads(
        prioreg(
            "verify",
            "--office",
            "JP",
            "--number",
            "2017-187096",
            "--date",
            "2017-09-27",
            "--code",
            code,
            "--later-office",
            "EP",
            "--later-date",
            "2018-10-29",
            "--state-dir",
            str(state),
            "--json",
            code=1,
        )
    )
    assert verdict["verdict"] == "restorable"
    # The saved answer carries its evidence (docs/api.md#evidence) and holds against the embedded chain.
    evidence = verdict["evidence"]
    assert evidence["blockNumber"] <= evidence["headBlock"] and evidence["batchRoot"] is None
    assert evidence["input"]["priority"] == {
        "ipOfficeCode": "JP",
        "applicationNumber": "2017-187096",
        "filingDate": "2017-09-27",
    }
    saved = state.parent / "verdict.json"
    saved.write_text(json.dumps(verdict), encoding="utf-8")
    assert "the evidence holds" in prioreg("check-evidence", str(saved), "--state-dir", str(state))
    family = json.loads(prioreg("family", us["commitment"], "--state-dir", str(state), "--json"))
    assert {m["ipOfficeCode"] for m in family["extendedFamily"]} == {"JP", "US"}
    # Every claim of the US application, from the ledger alone (no access code): the API's answer, key for key.
    claims = json.loads(prioreg("claims", us["commitment"], "--state-dir", str(state), "--json"))
    assert claims["commitment"] == us["commitment"]
    assert [(c["ipOfficeCode"], c["withdrawn"], c["verification"]["verdict"]) for c in claims["priorityClaims"]] == [
        ("JP", False, "valid")
    ]
    assert "valid" in prioreg("claims", us["commitment"], "--office", "US", "--state-dir", str(state))
    assert json.loads(prioreg("claims", out["commitment"], "--state-dir", str(state), "--json"))["priorityClaims"] == []


def test_verify_takes_the_later_number_and_judges_a_pct_application_on_its_receiving_office(state: Path) -> None:
    # 12 months from 2023-03-29 end on Good Friday 2024-03-29: the EPO (as receiving Office) is closed
    # until Tuesday 2 April, the USPTO is not (PCT Rule 80.5; docs/api.md#verifying-a-claim, later.applicationNumber).
    out = json.loads(
        prioreg(
            "anchor",
            "--office",
            "JP",
            "--number",
            "2023-050001",
            "--date",
            "2023-03-29",
            "--state-dir",
            str(state),
            "--json",
        )
    )
    base = [
        "verify",
        "--office",
        "JP",
        "--number",
        "2023-050001",
        "--date",
        "2023-03-29",
        "--code",
        out["accessCode"],
        "--later-office",
        "EP",
        "--later-date",
        "2024-04-02",
        "--state-dir",
        str(state),
    ]
    at_ep = json.loads(prioreg(*base, "--later-number", "PCT/EP2024/012345", "--json"))
    assert at_ep["verdict"] == "valid" and at_ep["priorityPeriodEnd"] == "2024-04-02"
    at_us = json.loads(prioreg(*base, "--later-number", "PCT/US2024/012345", "--json", code=1))
    assert at_us["verdict"] == "restorable"
    assert at_us["restoration"]["criterion"] == "unintentional"
    text = prioreg(*base, "--later-number", "PCT/US2024/012345", code=1)
    assert "restoration: available=True, criterion=unintentional" in text
    bad = runner.invoke(app, [*base, "--parent-relation", "sibling"], env=ENV)
    assert bad.exit_code != 0 and "continuationInPart" in bad.output


def test_anchoring_another_offices_number_is_refused_with_one_line(state: Path) -> None:
    result = runner.invoke(
        app,
        ["anchor", "--office", "US", "--number", "2017-187097", "--date", "2017-09-27", "--state-dir", str(state)],
        env=ENV,
    )
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_ten_thousand_filings_from_a_csv_are_all_indexed_with_valid_proofs(state: Path, tmp_path: Path) -> None:
    rows = ["applicationNumber,filingDate,ipRightKind"]
    rows += [f"2022-{i:06d},2022-04-{1 + i % 28:02d},patent" for i in range(1, 10_001)]
    csv = tmp_path / "filings.csv"
    csv.write_text("\n".join(rows) + "\n")
    codes = tmp_path / "codes.csv"
    report = json.loads(
        prioreg(
            "import",
            str(csv),
            "--office",
            "JP",
            "--state-dir",
            str(state),
            "--batch-size",
            "5000",
            "--codes-out",
            str(codes),
            "--json",
        )
    )
    assert report["anchored"] == 10_000
    assert report["refused"] == []
    assert len(codes.read_text().splitlines()) == 10_001
    assert codes.stat().st_mode & 0o777 == 0o600
    opened = open_deployment(Settings(state_dir=state, key_passphrase="cli-test-passphrase"))  # type: ignore[arg-type]
    try:
        opened.service.sync()
        index = opened.service.index
        anchored = [line.split(",")[2] for line in codes.read_text().splitlines()[1:]]
        for commitment in anchored:
            assert index.contains("JP", bytes.fromhex(commitment[2:]))
        for commitment in anchored[::997]:
            record = index.record(bytes.fromhex(commitment[2:]), "JP")
            assert record is not None and record.inclusion is not None
            assert verify_entry(record.inclusion.root, record.inclusion.entry, record.inclusion.proof)
    finally:
        opened.service.chain.close()
    again = json.loads(prioreg("import", str(csv), "--office", "JP", "--state-dir", str(state), "--json"))
    assert again["anchored"] == 0
    assert again["alreadyAnchored"] == 10_000


def test_a_bad_row_is_reported_by_line_and_holds_back_its_batch_only(state: Path, tmp_path: Path) -> None:
    lines = [json.dumps({"applicationNumber": f"2021-{i:06d}", "filingDate": "2021-06-01"}) for i in range(1, 7)]
    lines[4] = json.dumps({"applicationNumber": "2021-000005", "filingDate": "2021-02-30"})
    path = tmp_path / "filings.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result = runner.invoke(
        app, ["import", str(path), "--office", "JP", "--state-dir", str(state), "--batch-size", "3", "--json"], env=ENV
    )
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert [r["line"] for r in report["refused"]] == [5]
    assert report["anchored"] == 3
    assert report["heldBack"] == [{"firstLine": 4, "lastLine": 6, "rows": 2}]


def test_the_demo_tells_the_whole_story_and_exits_zero(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    out = prioreg("demo")
    assert "restorable" in out
    assert "notFound" in out
    assert (tmp_path / "family.svg").read_text().startswith("<")
    # R15 (issue 16): the USPTO reads the JPO's search report before publication; the KIPO cannot; the JPO sees it.
    squeezed = " ".join(out.split())
    assert "JPO search report, JP 2017-187096" in squeezed
    assert "outside the family" in squeezed and "404" in squeezed
    assert "Who read the JPO's report (shown to the JPO only)" in squeezed
    # The USPTO is told when a member joins its family (docs/api.md#notifications).
    assert "What the USPTO is told about its family" in squeezed and "familyMemberAdded" in squeezed
    assert "The EPO's application joined the family by its claim" in squeezed
    assert "The EPO is told: priorityDocumentAmended for JP's application" in squeezed
    # R26 (issue 20): the EPO retrieves the JPO's priority document and verifies it; once amended, it is not current.
    assert "The EPO verifies the package it retrieved → valid, current" in squeezed
    assert (
        "The EPO checks the package it holds again → valid, not current (the application is at version 3)" in squeezed
    )
    assert "[('EP', 2)]" in squeezed


def test_a_command_refused_for_want_of_a_deployment_leaves_the_directory_ready_for_demo(tmp_path: Path) -> None:
    """The refusal advises --demo; it left chain.journal behind, and --demo then refused the directory."""
    state = tmp_path / "gw"
    out = prioreg("anchor", "--office", "JP", "--number", "2017-187096", "--date", "2017-09-27",
                  "--state-dir", str(state), code=2)  # fmt: skip
    assert "no deployment in" in out and "--demo" in out
    assert not state.exists() or not any(p.name != "writer.lock" for p in state.iterdir()), list(state.iterdir())
    opened = open_deployment(Settings(state_dir=state, key_passphrase="cli-test-passphrase"), demo=True)  # type: ignore[arg-type]
    try:
        assert opened.created
    finally:
        opened.service.chain.close()


def test_a_state_dir_that_is_a_file_is_refused_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "not-a-dir"
    path.write_text("x", encoding="utf-8")
    out = prioreg("anchor", "--office", "JP", "--number", "2017-187096", "--date", "2017-09-27",
                  "--state-dir", str(path), code=2)  # fmt: skip
    assert "is not a directory" in out and "Traceback" not in out and "unexpected" not in out, out
    under = prioreg("anchor", "--office", "JP", "--number", "2017-187096", "--date", "2017-09-27",
                    "--state-dir", str(path / "state"), code=2)  # fmt: skip
    assert "cannot create the state directory" in under and "unexpected" not in under, under
    assert path.read_text(encoding="utf-8") == "x"
