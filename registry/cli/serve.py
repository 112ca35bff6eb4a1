"""``prioreg serve``: one office's gateway — the HTTP API over the state directory's deployment.

The only module of ``registry`` that imports ``api`` (the import contracts in ``pyproject.toml``
allow exactly this edge): the library stays usable without the web facade, and the facade reaches
the library only through :mod:`registry.service`.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from registry import errors
from registry.cli.ledger import RpcOpt, StateOpt, _settings, err
from registry.cli.workers import Workers, bound_socket, default_workers, owner_socket
from registry.domain.offices import validate_office
from registry.ops.lock import StateLock, writer_lock

# The deployment (web3) and settings (pydantic) load when the server starts, not for `--help`.
if TYPE_CHECKING:
    from registry.ops.config import Settings
    from registry.service import RegistryService

#: What `--help` shows as the default of --offices: registry.ops.deployment.DEFAULT_DEMO_OFFICES,
#: written out so that the help needs no import of web3 (tests/registry/cli/test_startup.py keeps
#: the two equal).
DEMO_OFFICES_SHOWN = "EP,US,JP,CN,KR,DE,GB,FR,WO"

__all__ = ["register"]


def serve_cmd(
    rpc_url: RpcOpt = None,
    contract: Annotated[str | None, typer.Option("--contract", help="The registry's address on --rpc-url.")] = None,
    state_dir: StateOpt = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 8000,
    demo: Annotated[bool, typer.Option("--demo", help="Deploy, admit the offices and mint one token each.")] = False,
    offices: Annotated[
        str | None,
        typer.Option(
            "--offices",
            help=f"Offices admitted with --demo, comma-separated. \\[default: {DEMO_OFFICES_SHOWN}]",
            show_default=False,
        ),
    ] = None,
    tokens_file: Annotated[
        Path | None, typer.Option("--tokens-file", help='With --demo: where {"EP": "<token>", …} is written.')
    ] = None,
    log_level: Annotated[
        str,
        typer.Option("--log-level", help="debug, info, warning, error or critical (JSON lines on stderr)."),
    ] = "info",
    rate_limit: Annotated[
        int,
        typer.Option("--rate-limit", min=0, help="Requests a minute per token office (else per client IP); 0: off."),
    ] = 600,
    endpoint: Annotated[
        str | None,
        typer.Option("--endpoint", help="This gateway's public URL, written to the on-chain office directory."),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            max=64,
            help="Processes serving the port: one owns the chain and writes, the others read the index."
            " \\[default: the number of cores]",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve the HTTP API (docs at /docs, the examiner's page at /)."""
    from api.observability import log_level as parse_log_level
    from registry.ops.deployment import DEFAULT_DEMO_OFFICES

    try:  # before the state is touched: a typo in --log-level changes nothing
        parse_log_level(log_level)
    except ValueError as exc:
        raise errors.InvalidInput(f"--log-level: {exc}", code="notAllowedValue") from None
    settings = _settings(state_dir, rpc_url, contract=contract)
    if endpoint is not None:
        endpoint = check_endpoint(endpoint)
    chosen = ",".join(DEFAULT_DEMO_OFFICES) if offices is None else offices
    codes = tuple(dict.fromkeys(validate_office(o) for o in chosen.split(",") if o.strip()))
    adopted = _check_tokens_file(tokens_file, demo)
    # The lock is held for the server's whole life. Issue 18 (`serve --workers N`): the workers
    # share it — forked ones inherit the descriptor, spawned ones get lock.inheritable_env() and
    # pass_fds=(lock.fd,) and call StateLock.adopt (registry.ops.lock). The port is bound next,
    # before the deployment is opened (or, with --demo, made): one in use is one line and exit 2,
    # with nothing deployed and no token minted that nobody would see.
    with (
        writer_lock(settings.state_dir, command="prioreg serve") as lock,
        listen_socket(host, port) as listen,
    ):
        _serve(
            settings,
            host,
            port,
            demo,
            codes,
            tokens_file,
            log_level=log_level,
            rate_limit=rate_limit,
            endpoint=endpoint,
            workers=default_workers() if workers is None else workers,
            lock=lock,
            listen=listen,
            adopted=adopted,
        )


def listen_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` as uvicorn binds one (``SO_REUSEADDR``, inheritable, IPv6 for ``::``),
    which the read workers' own sockets may join (``SO_REUSEPORT`` where the system has it, registry.cli.workers).

    Refused with one line naming the address when the port is taken or the host is not this machine's. The address
    is tried first without ``SO_REUSEPORT``: another gateway listening there refuses this one, as before, instead
    of sharing its port with it.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    probe = _bound(family, host, port, reuse_port=False)
    if not hasattr(socket, "SO_REUSEPORT"):
        probe.set_inheritable(True)
        return probe
    port = probe.getsockname()[1]  # the one the system chose for --port 0
    probe.close()
    sock = _bound(family, host, port, reuse_port=True)
    sock.set_inheritable(True)
    return sock


def _bound(family: socket.AddressFamily, host: str, port: int, *, reuse_port: bool) -> socket.socket:
    try:
        return bound_socket(family, (host, port), reuse_port=reuse_port)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise errors.RegistryError(
            f"cannot listen on {host}:{port}: {reason}; choose another --port or --host"
        ) from None


def _check_tokens_file(tokens_file: Path | None, demo: bool) -> dict[str, str]:
    """``--tokens-file``: with ``--demo`` a file the tokens can be written to; else the ``{"EP": "<token>"}`` to adopt.

    Checked before anything else, so that a typo neither deploys a demo whose tokens nobody sees
    nor stops a gateway with an unexpected error.
    """
    if tokens_file is None:
        return {}
    if tokens_file.is_dir():
        raise errors.InvalidInput(f"--tokens-file {tokens_file} is a directory; give a file", code="notAllowedValue")
    if demo:
        parent = tokens_file.parent
        if not parent.is_dir() or not os.access(parent, os.W_OK):
            raise errors.InvalidInput(
                f"--tokens-file {tokens_file}: its folder cannot be written", code="notAllowedValue"
            )
        return {}
    if not tokens_file.exists():
        return {}
    try:
        loaded = json.loads(tokens_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise errors.InvalidInput(
            f"--tokens-file {tokens_file} cannot be read as JSON ({exc})", code="jsonInvalid"
        ) from None
    if not isinstance(loaded, dict) or not all(isinstance(v, str) for v in loaded.values()):
        raise errors.InvalidInput(
            f'--tokens-file {tokens_file}: give an object of office tokens, {{"EP": "<token>", …}}', code="badType"
        )
    try:
        return {validate_office(office): token for office, token in loaded.items()}
    except errors.InvalidInput as exc:
        raise errors.InvalidInput(f"--tokens-file {tokens_file}: {exc.message}", code=exc.code) from None


def _serve(
    settings: Settings,
    host: str,
    port: int,
    demo: bool,
    codes: tuple[str, ...],
    tokens_file: Path | None,
    *,
    log_level: str,
    rate_limit: int,
    endpoint: str | None = None,
    workers: int = 1,
    lock: StateLock | None = None,
    listen: socket.socket | None = None,
    adopted: dict[str, str] | None = None,
) -> None:
    import uvicorn

    from api.app import create_app
    from api.auth import TokenStore
    from api.gateway import install_gateway_requests
    from api.limits import BodyLimits
    from api.observability import configure_logging
    from api.protocol import BoundedHttpToolsProtocol
    from registry.ops.deployment import open_deployment, resolve_node
    from registry.service.tokens import TOKENS_FILE, edit_tokens

    settings = resolve_node(settings)
    opened = open_deployment(settings, demo=demo, offices=codes)
    minted: dict[str, str] = {}
    # The gateway follows the token file: `prioreg tokens` changes it while this serves.
    with edit_tokens(opened.state.path) as store:
        if demo:
            for office in opened.service.writable_offices():
                if office not in store.offices():
                    minted[office] = store.issue(office)
        else:
            for office, token in (adopted or {}).items():
                store.adopt(office, token)
    tokens = TokenStore.watching(opened.state.path / TOKENS_FILE)
    if endpoint is not None:
        publish_endpoint(opened.service, endpoint)
    if minted:
        target = tokens_file or (opened.state.path / "demo-tokens.json")
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(minted, fh, indent=2)
        err.print(f"office tokens written to {target} (shown nowhere else)")
    app = create_app(
        opened.service,
        tokens,
        on_shutdown=opened.service.chain.close,
        rate_limit=rate_limit,
        body_limits=BodyLimits(read_timeout=settings.body_read_timeout),
    )
    # Requests between gateways (docs/spec/between-gateways.md): the nonces seen are kept in the state directory.
    install_gateway_requests(app, opened.service, opened.state.path)
    configure_logging(log_level)  # only now: a serve refused before this point leaves logging alone
    err.print(
        f"registry {opened.deployment.contract} on "
        f"{'the embedded chain in ' + str(opened.state.path) if not settings.rpc_url else settings.rpc_url}"
    )
    err.print(f"API docs: http://{host}:{port}/docs — examiner's page: http://{host}:{port}/")
    # Logging is ours (configure_logging): uvicorn must neither reconfigure it nor log access twice.
    # The request head bounded as it arrives (api.protocol): httptools alone read a 200 MB header whole.
    # No WebSocket (the API has none): an upgrade request is read as plain HTTP, so it gets the API's answer
    # instead of a text/plain 403 from the WebSocket protocol (the read workers run the same).
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        http=BoundedHttpToolsProtocol,
        ws="none",
        log_config=None,
        log_level=log_level.lower(),
        access_log=False,
    )
    if listen is None:
        listen = listen_socket(host, port)
    # uvicorn stops gracefully on SIGTERM, then raises it again with the handler it found: with the
    # default one the process would die right there (status 143), its `finally` blocks and the
    # writer lock's release skipped, and with workers, those workers and their socket left behind.
    signal.signal(signal.SIGTERM, _stopped)
    if workers <= 1 or lock is None:
        uvicorn.Server(config).run(sockets=[listen])
        return
    # issue 18: this process owns the chain; the others read the index and hand it the rest.
    internal, internal_path = owner_socket()
    args = ["--state-dir", str(opened.state.path), "--owner-socket", str(internal_path)]
    args += ["--log-level", log_level, "--rate-limit", str(rate_limit)]
    if settings.rpc_url:
        args += ["--rpc-url", settings.rpc_url]
    readers = Workers(workers - 1, listen=listen, lock_env=lock.inheritable_env(), lock_fd=lock.fd, args=args)
    readers.start()
    err.print(f"{workers} processes: this one ({os.getpid()}) writes; read workers {readers.pids}")
    try:
        uvicorn.Server(config).run(sockets=[listen, internal])
    finally:
        readers.stop()
        internal.close()
        shutil.rmtree(internal_path.parent, ignore_errors=True)


def _stopped(_signum: int, _frame: Any) -> None:
    raise SystemExit(0)  # a stop that was asked for, after the graceful shutdown


def bench_app(service: RegistryService) -> Any:
    """The gateway's app over ``service`` as ``prioreg bench`` loads it (registry.bench.run).

    The real app, middleware and lifespan, without tokens (verification needs none), without the
    index follower (nothing is anchored during the load) and without a rate limit: the load comes
    from one address, and a per-caller limit would measure the 429s (issue 19).
    """
    from api.app import create_app
    from api.auth import TokenStore

    return create_app(service, TokenStore(), follow_index=False, rate_limit=0)


def check_endpoint(value: str) -> str:
    """``--endpoint``: an absolute ``http``/``https`` URL without credentials
    (docs/spec/between-gateways.md#outbound-calls: the only places another gateway will call)."""
    from urllib.parse import urlsplit

    parts = urlsplit(value)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username is not None
        or parts.password is not None
        or parts.query
        or parts.fragment
        or not value.isascii()
        or len(value) > 2048
    ):
        raise errors.InvalidInput(
            f"--endpoint {value!r}: give this gateway's URL, http:// or https://, without user, query or fragment",
            code="notAllowedValue",
        )
    return value.rstrip("/")


def publish_endpoint(service: Any, endpoint: str) -> None:
    """Write ``endpoint`` to the on-chain directory for every office this gateway writes for, when it differs."""
    for office in service.writable_offices():
        client = service.client_for(office)
        if client.gateway_endpoint(office) != endpoint:
            client.set_gateway_endpoint(endpoint)
            err.print(f"{office}: gateway endpoint {endpoint} written on chain", highlight=False)
    service.sync()


def register(app: typer.Typer, friendly: Any) -> None:
    """Add ``serve`` to the main ``prioreg`` app."""
    app.command("serve")(friendly(serve_cmd))
