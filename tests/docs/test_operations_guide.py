"""The operations guide and its files (issue 19 item 5): they parse, and every command they show exists.

Docker, Besu, nginx, Caddy and systemd are not on the machine this runs on, so the files are
checked as far as that allows: the compose file loads as YAML with a gateway and a node, the Besu
files load as JSON/TOML with QBFT, a zero base fee and a zero minimum gas price, the systemd unit has
its sections and an ``ExecStart`` that runs ``prioreg serve``, the proxy configurations are balanced.
Every ``prioreg …`` command line in the guide, the compose file, the Dockerfile and the unit names a
command of ``prioreg --help`` and only options that command's ``--help`` lists: a guide that
drifts from the CLI fails here.
"""

from __future__ import annotations

import configparser
import json
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml
from typer.testing import CliRunner

from registry.cli import app

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
DEPLOY = DOCS / "deploy"
GUIDE = DOCS / "operations.md"


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    return data


def _unit() -> configparser.ConfigParser:
    # systemd allows a key more than once (Environment=): strict=False keeps the parser from refusing it.
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((DEPLOY / "prioreg-gateway.service").read_text(encoding="utf-8"))
    return parser


def _guide_command_lines() -> list[str]:
    """Every line of a fenced shell block in the guide that runs ``prioreg``."""
    text = GUIDE.read_text(encoding="utf-8")
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.DOTALL):
        lines += [line for line in block.splitlines() if re.search(r"(^|\s)prioreg\s", line)]
    return lines


def _file_command_lines() -> list[str]:
    lines = []
    for name, service in _compose()["services"].items():
        command = service.get("command")
        if isinstance(command, list) and command and command[0] == "prioreg":
            lines.append(shlex.join(str(word) for word in command))
        elif command:
            assert "prioreg" not in str(command), f"compose service {name}: give prioreg commands as a list"
    lines.append(_unit()["Service"]["ExecStart"])
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile, flags=re.MULTILINE)
    assert cmd is not None, "the Dockerfile has no CMD in exec form"
    lines.append(shlex.join(json.loads(cmd.group(1))))
    return lines


def _resolve(line: str) -> tuple[list[str], Any, list[str]]:
    """The subcommand path, the click command and the ``--options`` of one ``prioreg`` command line."""
    words = shlex.split(line.split("#")[0] if " #" in line else line)
    start = next(i for i, word in enumerate(words) if word == "prioreg" or word.endswith("/prioreg"))
    words = words[start + 1 :]
    # Typer ships its own click: groups are told apart by their ``commands``, not by a click class.
    command: Any = typer.main.get_command(app)
    path: list[str] = []
    while hasattr(command, "commands") and words and not words[0].startswith("-"):
        sub = command.commands.get(words[0])
        assert sub is not None, f"`prioreg {' '.join([*path, words[0]])}` is not a command ({line})"
        path.append(words.pop(0))
        command = sub
    options = [word.split("=")[0] for word in words if word.startswith("--")]
    return path, command, options


def test_the_guide_shows_commands_and_is_linked_from_the_readme() -> None:
    assert len(_guide_command_lines()) >= 10
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/operations.md" in readme
    for name in re.findall(r"\]\((deploy/[^)#]+)\)", GUIDE.read_text(encoding="utf-8")):
        assert (DOCS / name).exists(), f"the guide links {name}, which is not there"


@pytest.mark.parametrize("line", _guide_command_lines() + _file_command_lines())
def test_every_command_shown_exists_with_its_options(line: str) -> None:
    path, command, options = _resolve(line)
    assert path, f"no subcommand in {line!r}"
    assert not hasattr(command, "commands"), f"`prioreg {' '.join(path)}` needs a subcommand ({line})"
    known = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
    unknown = [option for option in options if option not in known]
    assert unknown == [], f"`prioreg {' '.join(path)}` has no option {unknown} ({line})"
    top = CliRunner().invoke(app, ["--help"], terminal_width=200)
    assert top.exit_code == 0 and re.search(rf"│ {re.escape(path[0])}\s", top.output), path[0]
    help_text = CliRunner().invoke(app, [*path, "--help"], terminal_width=200)
    assert help_text.exit_code == 0, help_text.output


def test_the_compose_file_has_a_node_and_a_gateway_on_it() -> None:
    compose = _compose()
    services = compose["services"]
    assert "anvil" in services["node"]["entrypoint"]
    gateway = services["gateway"]
    assert gateway["command"][:2] == ["prioreg", "serve"]
    assert gateway["environment"]["PRIOREG_RPC_URL"].endswith("http://node:8545}")
    assert all(port.startswith("127.0.0.1:") for port in gateway["ports"])  # the proxy faces the network
    declared = set(compose["volumes"])
    for service in services.values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            assert source.startswith(".") or source in declared, volume
    assert services["besu"]["profiles"] == ["besu"]


def test_the_besu_files_describe_a_zero_gas_qbft_chain() -> None:
    generator = json.loads((DEPLOY / "besu" / "qbftConfigFile.json").read_text(encoding="utf-8"))
    config = generator["genesis"]["config"]
    assert config["zeroBaseFee"] is True and "qbft" in config and config["cancunTime"] == 0
    assert generator["genesis"]["mixHash"] == "0x" + b"ctical byzantine fault tolerance".hex()
    assert generator["blockchain"]["nodes"]["count"] >= 4  # QBFT: one faulty validator tolerated
    node = tomllib.loads((DEPLOY / "besu" / "config.toml").read_text(encoding="utf-8"))
    assert node["min-gas-price"] == 0 and "QBFT" in node["rpc-http-api"]
    assert node["permissions-accounts-config-file-enabled"] is True
    permissions = tomllib.loads((DEPLOY / "besu" / "permissions_config.toml").read_text(encoding="utf-8"))
    assert permissions["nodes-allowlist"] and permissions["accounts-allowlist"]


def test_the_systemd_unit_has_its_sections_and_runs_the_gateway() -> None:
    unit = _unit()
    assert {"Unit", "Service", "Install"} <= set(unit.sections())
    service = unit["Service"]
    assert service["ExecStart"].split()[0].endswith("/prioreg") and " serve " in service["ExecStart"]
    assert service["User"] == "prioreg" and service["RestartPreventExitStatus"] == "2"
    assert "--host 127.0.0.1" in service["ExecStart"]
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_systemd_itself_accepts_the_unit(tmp_path: Path) -> None:
    """``systemd-analyze verify`` (Debian's systemd, on this machine): every key known, every value valid.

    The unit names /opt/prioreg/.venv/bin/prioreg, which systemd checks exists: the copy checked here
    names this environment's ``prioreg`` instead, and nothing else differs."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.fail("systemd-analyze is missing (apt-get install systemd)")
    prioreg = Path(sys.executable).with_name("prioreg")
    text = (DEPLOY / "prioreg-gateway.service").read_text(encoding="utf-8")
    assert "/opt/prioreg/.venv/bin/prioreg " in text
    unit = tmp_path / "prioreg-gateway.service"
    unit.write_text(text.replace("/opt/prioreg/.venv/bin/prioreg ", f"{prioreg} "), encoding="utf-8")
    result = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout + result.stderr == "", "systemd warns about the unit: " + result.stderr


@pytest.mark.parametrize("name", ["nginx.conf", "Caddyfile"])
def test_the_proxy_configurations_are_balanced_and_forward_to_the_gateway(name: str) -> None:
    text = (DEPLOY / "proxy" / name).read_text(encoding="utf-8")
    code = "\n".join(line.split("#")[0] for line in text.splitlines())
    depth = 0
    for char in code:
        depth += {"{": 1, "}": -1}.get(char, 0)
        assert depth >= 0
    assert depth == 0
    assert "127.0.0.1:8000" in code
    if name == "nginx.conf":  # every simple directive ends with ';'
        for line in code.splitlines():
            stripped = line.strip()
            if stripped and not stripped.endswith(("{", "}", ";")):
                pytest.fail(f"nginx.conf: {stripped!r} does not end with ';'")
