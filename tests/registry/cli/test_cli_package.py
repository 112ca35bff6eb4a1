"""``prioreg package verify FILE --rpc-url URL`` against a real anvil node, with nothing but the node's URL
(docs/api.md#command-line; docs/spec/packages.md#checks): every check printed, exit 0 valid, 1 invalid (another
chain too), 2 a malformed file, 3 no node — and a package stays valid after its office rotates its key."""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from registry.cli import app
from registry.domain.accesscodes import generate
from registry.domain.filings import FilingInput
from registry.domain.packages import MANIFEST_NAME, SIGNATURE_NAME, _zip, build_package, parse_manifest, read_package
from registry.domain.types import IpRightKind
from registry.index import Index
from registry.ledger.chain import ANVIL_DEV_KEY, Chain
from registry.ledger.client import deploy
from registry.service import RegistryService
from registry.service.packages import CHECK_NAMES, create_package, sign_manifest
from tests.support.anvil import running_anvil
from tests.support.gateways import free_port

runner = CliRunner()
NUMBER = "2017-187096"


@dataclasses.dataclass
class Node:
    url: str
    package: Path
    code: str
    old_key: bytes
    dir: Path


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    tmp = tmp_path_factory.mktemp("packages")
    with running_anvil() as url:
        chain = Chain.connect(url, funder_key=ANVIL_DEV_KEY)
        registrar = deploy(chain, chain.new_account(), delay=0)
        jp = chain.new_account()
        registrar.admit_office("JP", jp.address)
        service = RegistryService(chain, Index(":memory:", chain, registrar.address), registrar.address)
        service.add_office("JP", jp)
        code = str(generate())
        outcome = service.anchor("JP", FilingInput(NUMBER, _dt.date(2017, 9, 27), IpRightKind.PATENT, access_code=code))
        created = create_package(
            service, "JP", outcome.prepared.commitment, NUMBER, code, [("application.pdf", "application/pdf", b"%PDF")]
        )
        # JP rotates its key after anchoring the package's version: the package stays valid.
        new = chain.new_account()
        registrar.for_account(jp).rotate_office_key("JP", new.address)
        path = tmp / "package.zip"
        path.write_bytes(created.data)
        yield Node(url, path, code, bytes(jp.key), tmp)


def prioreg(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["package", "verify", *args])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


@pytest.mark.anvil
def test_a_package_verifies_with_only_the_nodes_url(node: Node) -> None:
    code, out = prioreg(str(node.package), "--rpc-url", node.url, "--access-code", node.code)
    assert code == 0, out
    for name in CHECK_NAMES:
        assert f"✓ {name}:" in out, out
    assert "valid: JP JP2017187096, version 2, current" in out
    code, out = prioreg(str(node.package), "--rpc-url", node.url, "--json")
    assert code == 0
    answer = json.loads(out)
    assert answer["valid"] and answer["version"] == answer["currentVersion"] == 2
    assert [c["name"] for c in answer["checks"]] == [n for n in CHECK_NAMES if n != "numberMatchesCommitment"]


@pytest.mark.anvil
def test_an_invalid_package_exits_1_and_says_which_check_failed(node: Node) -> None:
    entries = read_package(node.package.read_bytes()).entries
    tampered = node.dir / "tampered.zip"
    tampered.write_bytes(_zip({**entries, "application.pdf": b"%PDX"}))
    code, out = prioreg(str(tampered), "--rpc-url", node.url)
    assert code == 1 and "✗ filesMatchManifest" in out and "invalid" in out
    code, out = prioreg(str(node.package), "--rpc-url", node.url, "--access-code", str(generate()))
    assert code == 1 and "✗ numberMatchesCommitment" in out


@pytest.mark.anvil
def test_another_chain_is_refused_with_a_clear_line(node: Node) -> None:
    entries = read_package(node.package.read_bytes()).entries
    manifest = dataclasses.replace(parse_manifest(entries[MANIFEST_NAME]), chain_id=1)
    files = {n: d for n, d in entries.items() if n not in (MANIFEST_NAME, SIGNATURE_NAME)}
    other = node.dir / "other-chain.zip"
    other.write_bytes(build_package(manifest, files, sign_manifest(node.old_key, "JP", manifest)))
    code, out = prioreg(str(other), "--rpc-url", node.url)
    assert code == 1 and "the manifest names chain 1; this node is chain 31337" in out


@pytest.mark.anvil
def test_a_malformed_file_exits_2_and_no_node_exits_3(node: Node) -> None:
    bad = node.dir / "bad.zip"
    bad.write_bytes(node.package.read_bytes() + b"trailing")
    code, out = prioreg(str(bad), "--rpc-url", node.url)
    assert code == 2 and "archiveWellFormed" in out
    code, out = prioreg(str(node.package), "--rpc-url", f"http://127.0.0.1:{free_port()}")
    assert code == 3 and "ledger unavailable" in out


def test_a_package_verifies_against_the_embedded_chain_of_a_state_directory(tmp_path: Path) -> None:
    state = tmp_path / "state"
    chain = Chain.embedded(state)
    registrar = deploy(chain, chain.new_account())
    jp = chain.new_account()
    registrar.admit_office("JP", jp.address)
    service = RegistryService(chain, Index(":memory:", chain, registrar.address), registrar.address)
    service.add_office("JP", jp)
    code = str(generate())
    outcome = service.anchor("JP", FilingInput(NUMBER, _dt.date(2017, 9, 27), IpRightKind.PATENT, access_code=code))
    files = [("application.pdf", "application/pdf", b"%PDF")]
    first = create_package(service, "JP", outcome.prepared.commitment, NUMBER, code, files)
    create_package(service, "JP", outcome.prepared.commitment, NUMBER, code, files)
    chain.close()
    path = tmp_path / "v2.zip"
    path.write_bytes(first.data)
    code_, out = prioreg(str(path), "--state-dir", str(state), "--access-code", code)
    assert code_ == 0, out
    assert "✗ isCurrentVersion: the application is at version 3; this package is version 2" in out
    assert "valid: JP JP2017187096, version 2, not current (the latest is version 3)" in out
    assert prioreg(str(path))[0] == 2  # neither --rpc-url nor --state-dir
    assert prioreg(str(tmp_path / "missing.zip"), "--state-dir", str(state))[0] == 2
    assert prioreg(str(path), "--state-dir", str(tmp_path / "nowhere"))[0] == 3
