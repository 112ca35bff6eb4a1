"""``prioreg anchor`` and ``prioreg import`` refuse what the API refuses (issue 12 items 3 and 4).

Weak office-chosen access codes (``weakAccessCode``), implausible dates (``notAPlausibleDate``),
and import files that would have crashed the reader (a line nested 100,000 deep, a CSV cell past
the csv module's field limit) are refused rows or one-line errors; the import's skip-or-send step
is serialized per office, so two imports of one file at once anchor every row exactly once.
"""

from __future__ import annotations

import datetime as _dt
import json
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from registry.cli import app
from registry.domain.accesscodes import check_character, generate
from registry.ops.importer import ImportReport, import_file
from tests.api.conftest import build_service

runner = CliRunner()
ENV = {"PRIOREG_KEY_PASSPHRASE": "cli-test-passphrase"}
WEAK = "0000-0000-0000-0000-0"


def prioreg(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args), env=ENV)
    assert result.exit_code == code, result.output
    return result.output


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("state")
    prioreg("deploy", "--state-dir", str(path), "--json")
    prioreg("keys", "create", "JP", "--dir", str(path / "keys"), "--scrypt-n", "16")
    prioreg("admit", "JP", "--state-dir", str(path), "--json")
    return path


def _anchor(state: Path, number: str, day: str, *extra: str, code: int = 0) -> str:
    return prioreg(
        "anchor", "--office", "JP", "--number", number, "--date", day, "--state-dir", str(state), *extra, code=code
    )


def test_anchor_takes_a_strong_chosen_code_and_refuses_a_weak_one_in_one_line(state: Path) -> None:
    strong = str(generate())
    out = json.loads(_anchor(state, "2017-191001", "2017-09-27", "--access-code", strong, "--json"))
    assert out["accessCode"] == strong
    refused = _anchor(state, "2017-191002", "2017-09-27", "--access-code", WEAK, code=2)
    assert "too easy to guess" in refused
    assert "Traceback" not in refused and len(refused.strip().splitlines()) == 1


def test_anchor_refuses_an_implausible_date_and_a_claim_after_the_filing(state: Path) -> None:
    for day in ("1883-03-19", "2099-01-01"):
        assert "not a plausible date" in _anchor(state, "2017-191003", day, code=2)
    claim = f"JP,2017-191004,2017-10-01,{generate()}"
    out = _anchor(state, "2017-191005", "2017-09-27", "--claim", claim, code=2)
    assert "after this application's filing date" in out


def _import(state: Path, path: Path, code: int) -> dict[str, object]:
    result = runner.invoke(app, ["import", str(path), "--office", "JP", "--state-dir", str(state), "--json"], env=ENV)
    assert result.exit_code == code, result.output
    report: dict[str, object] = json.loads(result.stdout)
    return report


def test_import_refuses_weak_codes_and_implausible_dates_by_line(state: Path, tmp_path: Path) -> None:
    tomorrow = (_dt.datetime.now(_dt.UTC).date() + _dt.timedelta(days=1)).isoformat()
    path = tmp_path / "filings.csv"
    path.write_text(
        "applicationNumber,filingDate,accessCode,priorityClaims\n"
        "2021-191001,2021-06-01,,\n"
        f"2021-191002,2021-06-01,{WEAK},\n"
        "2021-191003,2099-06-01,,\n"
        f"2021-191004,2021-06-01,,JP|2021-191005|2021-06-02|{generate()}\n"
        f"2021-191006,2021-06-01,,JP|2021-191007|1800-01-01|{generate()}\n"
        f"2021-191008,{tomorrow},,\n"
    )
    report = _import(state, path, 1)
    refused = {r["line"]: r["code"] for r in report["refused"]}  # type: ignore[attr-defined]
    assert refused == {3: "weakAccessCode", 4: "notAPlausibleDate", 5: "notAPlausibleDate", 6: "notAPlausibleDate"}
    assert report["anchored"] == 0  # the good rows share the refused rows' batch


def test_import_files_that_used_to_crash_the_reader_are_refused_rows(state: Path, tmp_path: Path) -> None:
    deep = tmp_path / "deep.jsonl"
    good = json.dumps({"applicationNumber": "2021-191100", "filingDate": "2021-06-01"})
    deep.write_text(good + "\n" + "[" * 100_000 + "]" * 100_000 + "\n")
    report = _import(state, deep, 1)
    assert [(r["line"], r["code"]) for r in report["refused"]] == [(2, "tooDeep")]  # type: ignore[attr-defined]
    big = tmp_path / "big.csv"
    big.write_text("applicationNumber,filingDate\n" + "1" * 200_000 + ",2021-06-01\n2021-191101,2021-06-01\n")
    report = _import(state, big, 1)
    assert [r["code"] for r in report["refused"]] == ["badRow"]  # type: ignore[attr-defined]


def test_two_imports_of_one_file_at_once_anchor_every_row_once(tmp_path: Path) -> None:
    service = build_service(("JP",))
    service.sync()
    path = tmp_path / "filings.jsonl"
    rows = [{"applicationNumber": f"2021-19{n:04d}", "filingDate": "2021-06-01"} for n in range(300)]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    reports: list[ImportReport] = []
    start = threading.Barrier(2)

    def run() -> None:
        start.wait()
        reports.append(import_file(service, "JP", path, batch_size=50))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert sum(r.anchored for r in reports) == 300
    assert sum(r.already_anchored for r in reports) == 300
    stats = service.index.stats()
    assert (stats.filings, stats.conflicts) == (300, 0)  # no row anchored twice
    service.chain.close()


def test_a_claim_code_is_not_held_to_the_strength_rule_by_the_import(state: Path, tmp_path: Path) -> None:
    weak_claim = "0000000000000000" + check_character("0000000000000000")
    path = tmp_path / "claims.jsonl"
    row = {
        "applicationNumber": "2021-191200",
        "filingDate": "2021-06-01",
        "priorityClaims": [
            {
                "ipOfficeCode": "US",
                "applicationNumber": "16/191,201",
                "filingDate": "2021-01-04",
                "accessCode": weak_claim,
            }
        ],
    }
    path.write_text(json.dumps(row) + "\n")
    assert _import(state, path, 0)["anchored"] == 1
