"""Requests between gateways, signed by an office key (docs/spec/between-gateways.md): build, sign, send, check.

One office's gateway asks another's for a file (a report, a priority document) with a request
signed by its own office key under the registry's EIP-712 domain (docs/spec/contract.md#signed-entries; the types are in
:mod:`registry.ledger.signing`), posted as ``{request, signature}``. This module is the whole
exchange, without the rights of any one kind of file — those are the caller's (a report: a record
of the office joined by confirmed links; a document: the access-secret hash):

* :func:`sign_request` — the JSON body for a :class:`ReportRequest` or :class:`PriorityDocumentRequest`,
  with a fresh random nonce and an expiry :data:`DEFAULT_LIFETIME` ahead.
* :class:`GatewaySender` — posts it to the holder's endpoint **as the on-chain directory has it**,
  ``http``/``https`` only, no redirects, 10 s for the whole exchange, the answer capped at the
  receiving endpoint's limit. Anything but an answer within those bounds — no endpoint, a node
  that cannot be reached, a redirect, an oversized or failing answer — is
  :class:`~registry.errors.HolderUnavailable` (503 ``HOLDER_UNAVAILABLE``); the holder's 404 stays a 404.
* :class:`RequestChecker` — the holder's side: a well-formed body, ``expiry`` neither past nor
  more than 300 s ahead (30 s of clock skew either way), a signature of the **current key of an
  active office** as the ledger holds it now, and a nonce never seen before (:class:`NonceStore`:
  SQLite in the state directory, so every worker of a gateway shares it; kept until expiry).
  Every refusal is :class:`~registry.errors.GatewayRequestRefused`, a NotFound carrying the
  route's own not-found sentence: the same 404 as an unknown id.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils.address import to_checksum_address

from registry import errors
from registry.ledger.chain import Chain
from registry.ledger.signing import (
    priority_document_request_typed_data,
    report_request_typed_data,
    sign_typed_data,
)
from registry.service.shared_sqlite import open_shared

__all__ = [
    "CLOCK_SKEW",
    "DEFAULT_LIFETIME",
    "MAX_AHEAD",
    "NONCES_FILE",
    "SEND_TIMEOUT",
    "GatewayAnswer",
    "GatewaySender",
    "NonceStore",
    "PriorityDocumentRequest",
    "ReportRequest",
    "RequestChecker",
    "directory_endpoints",
    "expiry_in",
    "new_nonce",
    "sign_request",
]

#: A request may expire at most this far ahead of the holder's clock (docs/spec/between-gateways.md) …
MAX_AHEAD = 300
#: … with this much clock skew allowed either way.
CLOCK_SKEW = 30
#: How far ahead :func:`sign_request` sets the expiry.
DEFAULT_LIFETIME = 120
#: Seconds for the whole outbound exchange, connection to last byte (docs/spec/between-gateways.md).
SEND_TIMEOUT = 10.0
#: The nonce store of a state directory.
NONCES_FILE = "gateway-nonces.sqlite"

_HEX32 = re.compile(r"0x[0-9a-fA-F]{64}")
_SIGNATURE = re.compile(r"0x[0-9a-fA-F]{130}")
_OFFICE = re.compile(r"[A-Z]{2}")


# ── the two requests ────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class ReportRequest:
    """``ReportRequest(bytes2 office, bytes32 reportId, bytes32 throughCommitment, bytes32 nonce, uint64 expiry)``."""

    office: str
    report_id: bytes
    through_commitment: bytes
    nonce: bytes
    expiry: int

    def typed_data(self, chain_id: int, contract: str) -> dict[str, Any]:
        """The EIP-712 message in the registry's domain."""
        return report_request_typed_data(
            chain_id, contract, self.office, self.report_id, self.through_commitment, self.nonce, self.expiry
        )

    def to_json(self) -> dict[str, Any]:
        """The ``request`` member of the body."""
        return {
            "office": self.office,
            "reportId": "0x" + self.report_id.hex(),
            "throughCommitment": "0x" + self.through_commitment.hex(),
            "nonce": "0x" + self.nonce.hex(),
            "expiry": self.expiry,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ReportRequest:
        """Parse the ``request`` member (ValueError when it is not exactly this shape)."""
        _exact_keys(data, {"office", "reportId", "throughCommitment", "nonce", "expiry"})
        return cls(
            _office(data["office"]),
            _bytes32(data["reportId"]),
            _bytes32(data["throughCommitment"]),
            _bytes32(data["nonce"]),
            _uint(data["expiry"], 64),
        )


@dataclass(frozen=True)
class PriorityDocumentRequest:
    """``PriorityDocumentRequest(bytes2 office, bytes32 commitment, uint32 version, bytes32 accessSecretHash,
    bytes32 nonce, uint64 expiry)``."""

    office: str
    commitment: bytes
    version: int
    access_secret_hash: bytes
    nonce: bytes
    expiry: int

    def typed_data(self, chain_id: int, contract: str) -> dict[str, Any]:
        """The EIP-712 message in the registry's domain."""
        return priority_document_request_typed_data(
            chain_id,
            contract,
            self.office,
            self.commitment,
            self.version,
            self.access_secret_hash,
            self.nonce,
            self.expiry,
        )

    def to_json(self) -> dict[str, Any]:
        """The ``request`` member of the body."""
        return {
            "office": self.office,
            "commitment": "0x" + self.commitment.hex(),
            "version": self.version,
            "accessSecretHash": "0x" + self.access_secret_hash.hex(),
            "nonce": "0x" + self.nonce.hex(),
            "expiry": self.expiry,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PriorityDocumentRequest:
        """Parse the ``request`` member (ValueError when it is not exactly this shape)."""
        _exact_keys(data, {"office", "commitment", "version", "accessSecretHash", "nonce", "expiry"})
        return cls(
            _office(data["office"]),
            _bytes32(data["commitment"]),
            _uint(data["version"], 32),
            _bytes32(data["accessSecretHash"]),
            _bytes32(data["nonce"]),
            _uint(data["expiry"], 64),
        )


GatewayRequest = ReportRequest | PriorityDocumentRequest


def new_nonce() -> bytes:
    """32 random bytes: a request's nonce."""
    return secrets.token_bytes(32)


def expiry_in(seconds: int = DEFAULT_LIFETIME, *, now: float | None = None) -> int:
    """The ``expiry`` of a request sent now and valid for ``seconds``."""
    return int(now if now is not None else time.time()) + seconds


def sign_request(request: GatewayRequest, key: bytes | str, chain_id: int, contract: str) -> dict[str, Any]:
    """The body ``{request, signature}`` of ``request`` signed with the office key ``key``."""
    signature = sign_typed_data(key, request.typed_data(chain_id, contract))
    return {"request": request.to_json(), "signature": "0x" + signature.hex()}


def _exact_keys(data: Mapping[str, Any], keys: set[str]) -> None:
    if not isinstance(data, Mapping) or set(data) != keys:
        raise ValueError("not a request of this kind")


def _office(value: Any) -> str:
    if not isinstance(value, str) or not _OFFICE.fullmatch(value):
        raise ValueError("office")
    return value


def _bytes32(value: Any) -> bytes:
    if not isinstance(value, str) or not _HEX32.fullmatch(value):
        raise ValueError("bytes32")
    return bytes.fromhex(value[2:])


def _uint(value: Any, bits: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**bits:
        raise ValueError(f"uint{bits}")
    return value


# ── the holder's side ───────────────────────────────────────────────────────────────────


class NonceStore:
    """Nonces seen, per office, until their request expires: one SQLite file for all workers.

    :meth:`claim` is one ``INSERT`` under SQLite's own file locking, so two workers (processes)
    handed the same request at once accept it once; threads of one worker share one connection.
    """

    def __init__(self, path: Path | str) -> None:
        self._lock = threading.Lock()
        self._db = open_shared(path)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS nonces (office TEXT NOT NULL, nonce BLOB NOT NULL, expiry INTEGER NOT NULL,"
            " PRIMARY KEY (office, nonce)) WITHOUT ROWID"
        )
        self._db.execute("CREATE INDEX IF NOT EXISTS nonces_expiry ON nonces (expiry)")

    def claim(self, office: str, nonce: bytes, expiry: int, *, now: int) -> bool:
        """Record ``nonce`` for ``office``; False when it was seen before (a replay)."""
        with self._lock:
            # What expired (beyond the skew) can never be accepted again: forget it.
            self._db.execute("DELETE FROM nonces WHERE expiry < ?", (now - CLOCK_SKEW,))
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO nonces (office, nonce, expiry) VALUES (?, ?, ?)", (office, nonce, expiry)
            )
            return cursor.rowcount == 1

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()


class RequestChecker:
    """Checks a signed request the way docs/spec/between-gateways.md#signed-requests says; refuses with the route's own
    404."""

    def __init__(
        self,
        chain: Chain,
        contract: str,
        nonces: NonceStore,
        *,
        clock: Callable[[], float] = time.time,
        observe: Callable[[str, str, str], None] | None = None,
    ) -> None:
        self.chain = chain
        self.contract = contract
        self.nonces = nonces
        self.clock = clock
        self._observe = observe  # (direction, peer office, outcome): the gateway-call metric
        self._registry = chain.registry_contract(contract)

    def check_report(self, body: Any, *, not_found: str) -> ReportRequest:
        """A checked :class:`ReportRequest`; the caller then checks the office's right to the report."""
        request = self._check(body, ReportRequest.from_json, not_found)
        assert isinstance(request, ReportRequest)
        return request

    def check_priority_document(self, body: Any, *, not_found: str) -> PriorityDocumentRequest:
        """A checked :class:`PriorityDocumentRequest`; the caller then checks the access-secret hash."""
        request = self._check(body, PriorityDocumentRequest.from_json, not_found)
        assert isinstance(request, PriorityDocumentRequest)
        return request

    def _check(self, body: Any, parse: Callable[[Mapping[str, Any]], GatewayRequest], not_found: str) -> GatewayRequest:
        def refuse(reason: str) -> errors.GatewayRequestRefused:
            if self._observe is not None:
                request = body.get("request") if isinstance(body, Mapping) else None
                peer = request.get("office") if isinstance(request, Mapping) else None
                self._observe("incoming", peer if isinstance(peer, str) and _OFFICE.fullmatch(peer) else "?", "refused")
            return errors.GatewayRequestRefused(not_found, reason=reason)

        if not isinstance(body, Mapping) or set(body) != {"request", "signature"}:
            raise refuse("not {request, signature}")
        try:
            request = parse(body["request"])
        except (ValueError, TypeError):
            raise refuse("malformed request") from None
        signature = body["signature"]
        if not isinstance(signature, str) or not _SIGNATURE.fullmatch(signature):
            raise refuse("malformed signature")
        now = int(self.clock())
        if request.expiry < now - CLOCK_SKEW:
            raise refuse("expired")
        if request.expiry > now + MAX_AHEAD + CLOCK_SKEW:
            raise refuse("expiry too far ahead")
        try:
            message = encode_typed_data(full_message=request.typed_data(self.chain.chain_id, self.contract))
            signer = Account.recover_message(message, signature=bytes.fromhex(signature[2:]))
        except Exception:  # eth-account raises several kinds for a signature that does not recover
            raise refuse("signature does not recover") from None
        if not self._current_key_of_active_office(request.office, signer):
            raise refuse("not the current key of an active office")
        # Last: a request refused above must not burn its nonce (it may be sent again, correctly).
        if not self.nonces.claim(request.office, request.nonce, request.expiry, now=now):
            raise refuse("nonce seen before")
        if self._observe is not None:
            self._observe("incoming", request.office, "accepted")
        return request

    def _current_key_of_active_office(self, office: str, signer: str) -> bool:
        # From the ledger itself, not the index: a key rotated out or an office suspended a block
        # ago must already be refused.
        record = self.chain.query(lambda: self._registry.functions.getOffice(office.encode("ascii")).call())
        current, _admitted, active = record
        return bool(active) and to_checksum_address(current) == to_checksum_address(signer)


# ── the requester's side ────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class GatewayAnswer:
    """What a holder answered: 200, its content type and its body (within the limit)."""

    content: bytes
    content_type: str
    headers: Mapping[str, str]


def directory_endpoints(index: Any) -> Callable[[str], str | None]:
    """Each office's endpoint as the on-chain directory holds it (read through ``index``, a
    :class:`registry.index.Index`): the only places a gateway sends requests to."""

    def endpoint(office: str) -> str | None:
        return next((o.endpoint for o in index.offices() if o.code == office), None)

    return endpoint


class GatewaySender:
    """Posts signed requests to the gateways of the on-chain directory, within
    docs/spec/between-gateways.md#signed-requests's limits."""

    def __init__(
        self,
        endpoints: Callable[[str], str | None],
        *,
        timeout: float = SEND_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
        observe: Callable[[str, str, str], None] | None = None,
    ) -> None:
        self._endpoints = endpoints
        self._timeout = timeout
        self._transport = transport
        self._observe = observe  # (direction, peer office, outcome): the gateway-call metric

    def post(self, holder: str, path: str, body: Mapping[str, Any], *, max_bytes: int, not_found: str) -> GatewayAnswer:
        """POST ``body`` to ``path`` at ``holder``'s gateway; its 200 answer, at most ``max_bytes``.

        The holder's 404 is raised as NotFound with ``not_found`` (the caller's own sentence);
        everything else that is not a 200 within the limits is HolderUnavailable.
        """
        try:
            answer = self._post(holder, path, body, max_bytes=max_bytes, not_found=not_found)
        except errors.NotFound:
            self._count(holder, "notFound")
            raise
        except errors.HolderUnavailable:
            self._count(holder, "unavailable")
            raise
        self._count(holder, "ok")
        return answer

    def _count(self, holder: str, outcome: str) -> None:
        if self._observe is not None:
            self._observe("outgoing", holder, outcome)

    def _post(
        self, holder: str, path: str, body: Mapping[str, Any], *, max_bytes: int, not_found: str
    ) -> GatewayAnswer:
        endpoint = self._endpoints(holder)
        if not endpoint:
            raise errors.HolderUnavailable(f"office {holder} has no gateway endpoint in the on-chain directory")
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise errors.HolderUnavailable(f"office {holder}'s endpoint is not an http(s) URL")
        url = endpoint.rstrip("/") + path
        deadline = time.monotonic() + self._timeout
        try:
            with (
                httpx.Client(timeout=self._timeout, follow_redirects=False, transport=self._transport) as client,
                client.stream(
                    # Identity only: a compressed answer could inflate far past the limit.
                    "POST",
                    url,
                    json=dict(body),
                    headers={"Accept": "*/*", "Accept-Encoding": "identity"},
                ) as response,
            ):
                if response.status_code == 404:
                    raise errors.NotFound(not_found)
                if response.is_redirect or 300 <= response.status_code < 400:
                    raise errors.HolderUnavailable(f"office {holder}'s gateway redirected; redirects are not followed")
                if response.status_code != 200:
                    raise errors.HolderUnavailable(f"office {holder}'s gateway answered {response.status_code}")
                if response.headers.get("content-encoding", "identity").lower() != "identity":
                    raise errors.HolderUnavailable(f"office {holder}'s gateway sent an encoded answer")
                declared = response.headers.get("content-length")
                if declared is not None and declared.isdigit() and int(declared) > max_bytes:
                    raise errors.HolderUnavailable(f"office {holder}'s gateway sent more than {max_bytes} bytes")
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_raw():
                    size += len(chunk)
                    if size > max_bytes:
                        raise errors.HolderUnavailable(f"office {holder}'s gateway sent more than {max_bytes} bytes")
                    if time.monotonic() > deadline:
                        raise errors.HolderUnavailable(f"office {holder}'s gateway took over {self._timeout:g} s")
                    chunks.append(chunk)
                return GatewayAnswer(
                    b"".join(chunks), response.headers.get("content-type", "application/octet-stream"), response.headers
                )
        except httpx.HTTPError as exc:
            raise errors.HolderUnavailable(
                f"office {holder}'s gateway cannot be reached ({type(exc).__name__})"
            ) from None
