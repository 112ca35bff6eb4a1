"""What an office's operations team sees of a running gateway (issue 19, item 1).

- **Logs**: one JSON object a line on stderr (structlog), the level set by ``prioreg serve
  --log-level``. Every line written while a request is served carries its ``requestId``: the
  client's ``X-Request-ID`` when it is well-formed (1-128 characters of ``A-Z a-z 0-9 . _ : -``,
  so that nothing a client sends can forge a log line or smuggle markup), else a new one; it is
  returned in the ``X-Request-ID`` response header either way.
- **Access log**: one line a request, ``event="request"``, with method, route *template* (never
  the path: a path can carry a commitment, and templates keep the metrics' label set bounded),
  status, duration, request id and, when the caller authenticated, the token's office — never the
  token.
- **No secrets**: nothing here logs a header, a query string or a body; and as a second line of
  defence :func:`redact` masks, in every event of every logger, the values of keys that name a
  secret (token, authorization, accessCode, passphrase, key…) and any text that looks like a bearer
  token (``prt_…``) or a formatted access code.
- **Metrics** (``GET /metrics``, Prometheus text format, on a registry of this app's own):
  requests and latencies per method, route template and status; the chain head, the indexed block
  and the lag between them (read when scraped); records anchored through this gateway per office;
  a counter of gateway-to-gateway calls (docs/spec/between-gateways.md) for the routes that will make them.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
from collections.abc import Iterable, MutableMapping
from typing import Any

import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.negotiation import RouteTable
from registry.errors import RegistryError

__all__ = [
    "OFFICE_STATE_KEY",
    "REQUEST_ID_HEADER",
    "GatewayMetrics",
    "Observability",
    "configure_logging",
    "log_level",
    "redact",
    "request_id_from",
]

REQUEST_ID_HEADER = "X-Request-ID"
#: Where the authenticated office is left in ``scope["state"]`` for the access log (api.deps).
OFFICE_STATE_KEY = "prioreg.office"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_UNMATCHED = "unmatched"  # a path no route serves: one label, whatever was asked for

#: A standard-library logger: with logging not configured (a test, the bench) a line below the level
#: costs one ``isEnabledFor``; :func:`configure_logging` renders its ``extra`` fields as JSON keys.
access_log = logging.getLogger("prioreg.access")

# ── secrets never reach a log ───────────────────────────────────────────────────────────────────

#: Keys whose values are secrets, compared case-insensitively without separators.
_SECRET_KEYS = frozenset(
    {"token", "authorization", "accesscode", "passphrase", "password", "key", "privatekey", "secret", "seed", "bearer"}
)
_SECRET_TEXT = re.compile(
    r"prt_[A-Za-z0-9_-]{16,}"  # an office token (api.auth.mint_token)
    r"|(?i:bearer)\s+\S+"  # an Authorization value quoted in a message
    r"|\b[0-9A-Za-z]{4}(?:-[0-9A-Za-z]{4}){3}-[0-9A-Za-z*~$=uU]\b"  # a formatted access code (accesscodes.py)
)
_MASK = "[redacted]"


def _is_secret_key(key: str) -> bool:
    folded = key.replace("_", "").replace("-", "").lower()
    return folded in _SECRET_KEYS or folded.endswith(("token", "accesscode", "passphrase", "privatekey"))


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return _SECRET_TEXT.sub(_MASK, value)
    if isinstance(value, dict):
        return {k: (_MASK if isinstance(k, str) and _is_secret_key(k) else _scrub(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    return value


def redact(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: mask secret-named keys and secret-looking text in ``event``."""
    for key in list(event):
        if _is_secret_key(key):
            event[key] = _MASK
        else:
            event[key] = _scrub(event[key])
    return event


def log_level(level: str) -> int:
    """The ``logging`` level named ``level`` (any case); ValueError for another name."""
    numeric = logging.getLevelNamesMapping().get(level.upper())
    if level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL") or not isinstance(numeric, int):
        raise ValueError(f"unknown log level {level!r}: debug, info, warning, error or critical")
    return numeric


def configure_logging(level: str = "info", stream: Any = None) -> None:
    """JSON lines on ``stream`` (stderr) at ``level``, for structlog and the standard library alike.

    uvicorn's and the registry's ``logging`` records go through the same processors (request id,
    redaction, JSON), so an operator parses one format."""
    numeric = log_level(level)
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                redact,  # again: a traceback's text is only known here
                structlog.processors.JSONRenderer(),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # uvicorn's own access line would repeat ours without the request id: ours replaces it.
    logging.getLogger("uvicorn.access").disabled = True


# ── metrics ─────────────────────────────────────────────────────────────────────────────────────


# The ``*_created`` timestamps double every series and tell an operator nothing a restart does not.
disable_created_metrics()  # type: ignore[no-untyped-call]


class _ChainCollector(Collector):
    """Chain head, indexed block and the lag between them, read when Prometheus scrapes."""

    def __init__(self, service: Any) -> None:
        self.service = service

    def collect(self) -> Iterable[GaugeMetricFamily]:
        indexed = self.service.index.last_block()
        try:
            head: int | None = self.service.chain.block_number()
        except RegistryError:  # the node is down: no head, and the lag is unknown, not zero
            head = None
        up = GaugeMetricFamily("prioreg_chain_up", "1 when the node answered the last scrape.")
        up.add_metric([], 0.0 if head is None else 1.0)
        yield up
        # `serve --workers N` (registry.cli.workers): which process answered this scrape.
        worker = GaugeMetricFamily(
            "prioreg_worker_info",
            "The process that answered: its pid and role (writer or reader).",
            labels=("pid", "role"),
        )
        role = "reader" if getattr(self.service.index, "read_only", False) else "writer"
        worker.add_metric([str(os.getpid()), role], 1.0)
        yield worker
        if head is not None:
            family = GaugeMetricFamily("prioreg_chain_head_block", "The node's latest block number.")
            family.add_metric([], float(head))
            yield family
        if indexed is not None:
            family = GaugeMetricFamily("prioreg_index_block", "The last block the index has read.")
            family.add_metric([], float(indexed))
            yield family
        if head is not None:
            lag = GaugeMetricFamily("prioreg_index_lag_blocks", "Blocks the index is behind the chain head.")
            lag.add_metric([], float(max(head - (indexed if indexed is not None else -1), 0)))
            yield lag


class GatewayMetrics:
    """The Prometheus metrics of one app (its own registry: several apps may live in one process)."""

    def __init__(self, service: Any) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "prioreg_http_requests",
            "HTTP requests answered, per method, route template and status.",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "prioreg_http_request_duration_seconds",
            "Time to answer, per method and route template.",
            ("method", "route"),
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=self.registry,
        )
        self.anchored = Counter(
            "prioreg_anchored_records",
            "Applications anchored through this gateway, per office and way (single or batch).",
            ("office", "way"),
            registry=self.registry,
        )
        self.gateway_calls = Counter(
            "prioreg_gateway_calls",
            "Calls between office gateways (docs/spec/between-gateways.md), per direction, peer office and outcome.",
            ("direction", "peer", "outcome"),
            registry=self.registry,
        )
        self.registry.register(_ChainCollector(service))
        # Bounded: methods × route templates (plus "unmatched") × statuses.
        self._series: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def observe(self, method: str, template: str, status: int, seconds: float) -> None:
        """One answered request. The labelled series are kept per key: ``labels()`` takes a lock
        and builds a tuple each time, which the verification hot path need not pay."""
        key = (method, template, status)
        series = self._series.get(key)
        if series is None:
            series = (self.requests.labels(method, template, str(status)), self.latency.labels(method, template))
            self._series[key] = series
        series[0].inc()
        series[1].observe(seconds)

    def count_anchored(self, office: str, way: str, count: int = 1) -> None:
        """``count`` applications of ``office`` were anchored (``way``: ``single`` or ``batch``)."""
        self.anchored.labels(office, way).inc(count)

    def count_gateway_call(self, direction: str, peer: str, outcome: str) -> None:
        """One call to (``outgoing``) or from (``incoming``) another office's gateway."""
        self.gateway_calls.labels(direction, peer, outcome).inc()

    def render(self) -> bytes:
        """The text exposition format."""
        return generate_latest(self.registry)


# ── the middleware ──────────────────────────────────────────────────────────────────────────────


def request_id_from(headers: Iterable[tuple[bytes, bytes]]) -> str:
    """The client's ``X-Request-ID`` when well-formed, else a new random one (32 hex digits)."""
    for name, value in headers:
        if name == b"x-request-id":
            try:
                text = value.decode("ascii")
            except UnicodeDecodeError:
                break
            if _REQUEST_ID.fullmatch(text):
                return text
            break
    return os.urandom(16).hex()


class Observability:
    """ASGI middleware: request id in and out, one access-log line and the request metrics."""

    def __init__(self, app: ASGIApp, metrics: GatewayMetrics, routes: RouteTable) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = routes

    def template(self, scope: Scope) -> str:
        """The route template that served ``scope``; for an answer given before routing (a 429, a
        413) the template the router would have picked."""
        path = getattr(scope.get("route"), "path", None)
        if isinstance(path, str):
            return path
        found = self.routes.find(scope["method"], scope["path"])
        return found[0] if found else _UNMATCHED

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = request_id_from(scope["headers"])
        header = (b"x-request-id", request_id.encode("ascii"))
        state = scope.setdefault("state", {})
        status = 500  # what the client sees if the app dies before answering (uvicorn's answer)

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        tokens = structlog.contextvars.bind_contextvars(requestId=request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            template = self.template(scope)
            method = scope["method"]
            self.metrics.observe(method, template, status, seconds)
            if access_log.isEnabledFor(logging.INFO):
                fields = {"method": method, "route": template, "status": status, "ms": round(seconds * 1000, 2)}
                office = state.get(OFFICE_STATE_KEY)
                if office is not None:
                    fields["office"] = office
                access_log.info("request", extra=fields)
            structlog.contextvars.reset_contextvars(**tokens)
