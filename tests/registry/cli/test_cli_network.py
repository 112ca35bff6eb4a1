"""``prioreg network init`` and ``prioreg tokens`` (docs/api.md#who-is-calling, the CLI rows; issue 15 items 1-3).

One anvil for the module (tests/support/anvil.py). ``network init`` must give every office a state
directory holding only its own key and the deployment, admit the offices through the governance
(with a delay, on a dev node, without waiting), write ``network.json`` with absolute paths, refuse
an existing directory and leave nothing behind when it fails. ``tokens`` mints (shown once, hashed
at rest), lists and revokes without the writer lock. A state directory made on a node resumes that
node; ``--rpc-url`` naming another chain is refused with a clear error.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from typer.testing import CliRunner

from registry import errors
from registry.cli import app
from registry.ledger.chain import Chain
from registry.ledger.client import RegistryClient
from registry.ops.config import Settings
from registry.ops.deployment import open_deployment
from registry.ops.lock import writer_lock
from registry.service.tokens import TokenStore
from tests.support.anvil import running_anvil

runner = CliRunner()


@pytest.fixture(scope="module")
def node() -> Iterator[str]:
    with running_anvil() as url:
        yield url


@pytest.fixture(scope="module")
def network(node: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("network") / "net"
    result = runner.invoke(app, ["network", "init", "--rpc-url", node, "--offices", "JP,US", "--dir", str(root)])
    assert result.exit_code == 0, result.output
    return root


def _client(node: str, contract: str) -> RegistryClient:
    return RegistryClient(Chain.connect(node), contract, Account.create())


def test_each_office_gets_a_directory_with_only_its_own_key_and_the_deployment(node: str, network: Path) -> None:
    described = json.loads((network / "network.json").read_text())
    assert described["chainId"] == 31337
    assert set(described["offices"]) == {"JP", "US"}
    for office, entry in described["offices"].items():
        state = Path(entry["stateDir"])
        assert state.is_absolute() and state == network / office
        assert sorted(p.name for p in (state / "keys").iterdir()) == [f"{office}.json"]
        assert sorted(p.name for p in (state / "seeds").iterdir()) == [f"{office}.json"]
        assert not (state / "registrar.json").exists()
        assert json.loads((state / "deployment.json").read_text())["contract"] == described["contract"]
        assert (
            json.loads((state / "keys" / f"{office}.json").read_text())["address"].lower()
            == entry["signer"][2:].lower()
        )
    assert (network / "registrar" / "registrar.json").exists()
    assert not (network / "registrar" / "keys").exists()
    client = _client(node, described["contract"])
    try:
        for office, entry in described["offices"].items():
            assert client.office_of(entry["signer"]) == office  # admitted, active, that key
    finally:
        client.chain.close()


def test_a_gateway_directory_resumes_its_node_and_refuses_another_chain(node: str, network: Path) -> None:
    opened = open_deployment(Settings(state_dir=network / "JP"), read_only=True)
    try:
        assert opened.service.chain.kind == "rpc"
        opened.service.sync()
        assert {o.code for o in opened.service.index.offices()} == {"JP", "US"}
    finally:
        opened.service.chain.close()
    with (
        running_anvil(extra_args=("--chain-id", "4242")) as other,
        pytest.raises(errors.RegistryError, match="chain id 4242"),
    ):
        open_deployment(Settings(state_dir=network / "JP", rpc_url=other), read_only=True)
    with (
        running_anvil() as empty,  # the same chain id, but no registry there
        pytest.raises(errors.RegistryError, match="holds no contract"),
    ):
        open_deployment(Settings(state_dir=network / "JP", rpc_url=empty), read_only=True)
    with pytest.raises(errors.RegistryError, match="is not the registry"):
        open_deployment(Settings(state_dir=network / "JP", contract="0x" + "11" * 20), read_only=True)


def test_with_a_delay_on_a_dev_node_the_admissions_run_without_waiting(node: str, tmp_path: Path) -> None:
    root = tmp_path / "slow"
    result = runner.invoke(
        app, ["network", "init", "--rpc-url", node, "--offices", "EP", "--dir", str(root), "--delay", "3600", "--json"]
    )
    assert result.exit_code == 0, result.output
    described = json.loads(result.stdout)
    client = _client(node, described["contract"])
    try:
        assert client.governance_delay() == 3600
        assert client.office_of(described["offices"]["EP"]["signer"]) == "EP"
    finally:
        client.chain.close()


def test_an_existing_directory_is_refused_and_untouched(node: str, tmp_path: Path) -> None:
    root = tmp_path / "there"
    root.mkdir()
    (root / "mine.txt").write_text("keep")
    result = runner.invoke(app, ["network", "init", "--rpc-url", node, "--offices", "JP", "--dir", str(root)])
    assert result.exit_code == 2
    assert "exists" in result.output
    assert [p.name for p in root.iterdir()] == ["mine.txt"]


def test_a_failed_init_leaves_nothing_behind(node: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "broke"
    monkeypatch.setenv("PRIOREG_FUNDER_KEY", Account.create().key.hex())  # a funder with no ether
    result = runner.invoke(app, ["network", "init", "--rpc-url", node, "--offices", "JP,US", "--dir", str(root)])
    assert result.exit_code == 2, result.output
    assert "missing" in result.output
    assert not root.exists()


def test_tokens_are_shown_once_hashed_at_rest_listed_and_revoked_without_the_writer_lock(network: Path) -> None:
    state = network / "JP"
    with writer_lock(state, command="a gateway"):  # a running gateway holds it: tokens still work
        made = runner.invoke(app, ["tokens", "create", "--state-dir", str(state), "--expires", "30", "--json"])
        assert made.exit_code == 0, made.output
        created = json.loads(made.stdout)
        assert created["office"] == "JP" and created["expires"] is not None
        assert created["token"] not in (state / "tokens.json").read_text()
        assert TokenStore.load(state / "tokens.json").office_for(created["token"]) == "JP"
        listed = json.loads(runner.invoke(app, ["tokens", "list", "--state-dir", str(state), "--json"]).stdout)
        assert created["id"] in [t["id"] for t in listed["tokens"]]
        assert "token" not in json.dumps(listed["tokens"][0]).replace('"tokens"', "")
        revoked = runner.invoke(app, ["tokens", "revoke", created["id"], "--state-dir", str(state)])
        assert revoked.exit_code == 0, revoked.output
    assert TokenStore.load(state / "tokens.json").office_for(created["token"]) is None
    again = runner.invoke(app, ["tokens", "revoke", created["id"], "--state-dir", str(state)])
    assert again.exit_code == 2


def test_a_token_is_only_for_the_directory_s_own_office(network: Path, tmp_path: Path) -> None:
    other = runner.invoke(app, ["tokens", "create", "--state-dir", str(network / "JP"), "--office", "US"])
    assert other.exit_code == 2
    assert "no key for US" in other.output
    empty = runner.invoke(app, ["tokens", "create", "--state-dir", str(tmp_path)])
    assert empty.exit_code == 2
    assert "no deployment" in empty.output
    bad = runner.invoke(app, ["tokens", "create", "--state-dir", str(network / "JP"), "--expires", "0"])
    assert bad.exit_code == 2
