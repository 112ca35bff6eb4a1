"""The HTTP/1.1 protocol ``prioreg serve`` runs: uvicorn's httptools protocol with the request head bounded.

httptools (llhttp) sets no limit on a request's line and headers: a header value is collected in memory until it
ends, and only then does the application see anything, so no middleware can refuse it in time. One ``GET`` with a
200 MB header was read whole and answered 200 (the hostile-request audit, 2026-12-06: the owner's RSS 155 → 393 MB),
and a few of them at once would take the gateway down (docs/design.md#p10-no-request-can-take-the-gateway-down).

Here the bytes of each request's head are counted as they arrive. Past :data:`MAX_HEAD_BYTES` (64 KiB: a head of this
API is a few hundred bytes; nginx takes 4 × 8 KB by default, Node.js 16 KB, h11 16 KB) the client gets
``431 Request Header Fields Too Large`` (RFC 6585 §5) in the error envelope of docs/api.md#errors, and the connection
is closed, since the rest of that head cannot be told from the next request: the answer is sent and the sending half
closed first, and what the client still sends is read and dropped for up to :data:`_LINGER_SECONDS` and
:data:`_LINGER_BYTES` (closing at once, with its bytes unread, makes the kernel reset the connection, and the client
may lose the answer it had not read yet: Apache's "lingering close").

What the parser cannot read at all (not HTTP/1.1, a bad request line or header) gets ``400 Bad Request`` in the same
envelope (``BAD_REQUEST``) instead of uvicorn's ``text/plain`` line, and the connection is closed as uvicorn closes it.
"""

from __future__ import annotations

import json
from typing import Any, Final

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["MAX_HEAD_BYTES", "BoundedHttpToolsProtocol"]

#: The most bytes of one request's line and headers a connection reads.
MAX_HEAD_BYTES: Final = 64 * 1024
_LINGER_SECONDS: Final = 2.0
_LINGER_BYTES: Final = 1024 * 1024

_MESSAGE = f"the request line and headers are larger than {MAX_HEAD_BYTES // 1024} KB"
_BODY = json.dumps(
    {"error": {"code": "REQUEST_HEADER_FIELDS_TOO_LARGE", "message": _MESSAGE, "details": []}},
    separators=(",", ":"),
).encode()
_REFUSAL: Final = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: application/json\r\n"
    b"content-length: " + str(len(_BODY)).encode() + b"\r\n"
    b"connection: close\r\n\r\n" + _BODY
)

_UNREADABLE = json.dumps(
    {"error": {"code": "BAD_REQUEST", "message": "the request is not HTTP/1.1 this gateway can read", "details": []}},
    separators=(",", ":"),
).encode()


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """:class:`HttpToolsProtocol` that refuses a request head over :data:`MAX_HEAD_BYTES` (``uvicorn.Config(http=…)``).

    A chunk that starts inside a head, or where one begins (a new connection, the previous request ended), is scanned
    for the blank line that ends it before the parser sees it: such a head is measured exactly. A head that begins in
    the middle of a chunk (requests pipelined behind a body) is counted from the next chunk on, so it is bounded by
    :data:`MAX_HEAD_BYTES` and one read.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = False  # between on_message_begin and on_headers_complete
        self._at_head_start = True  # the next byte begins a head: a new connection, or after a whole request
        self._head_bytes = 0  # of the open head, in the chunks before this one
        self._begun = 0  # requests begun in the chunk being parsed
        self._tail = b""  # the last bytes of the previous chunk: its blank line may straddle the two
        self._dropped: int | None = None  # bytes read and dropped since the refusal (None: not refused)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head, self._at_head_start = True, False
        self._begun += 1

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._at_head_start = True

    def data_received(self, data: bytes) -> None:
        if self._dropped is not None:  # refused: the rest of the connection is read and dropped, never parsed
            self._dropped += len(data)
            if self._dropped > _LINGER_BYTES:
                self.transport.close()
            return
        continues = self._in_head
        measured = continues or self._at_head_start
        if measured and not self.transport.is_closing():
            tail = self._tail if continues else b""
            end = (tail + data).find(b"\r\n\r\n")
            part = len(data) if end < 0 else max(0, end + 4 - len(tail))
            if (self._head_bytes if continues else 0) + part > MAX_HEAD_BYTES:
                self._refuse()
                return
        self._begun = 0
        super().data_received(data)
        if self._in_head:  # a head is still open after this chunk: where did it begin?
            if continues and self._begun == 0:
                self._head_bytes += len(data)
            elif measured and not continues and self._begun == 1:
                self._head_bytes = len(data)
            else:  # behind another request in this chunk: counted from the next chunk on
                self._head_bytes = 0
            self._tail = data[-3:]
        else:
            self._head_bytes = 0

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to what httptools cannot parse (``msg``, already logged), in the API's envelope."""
        content = [b"HTTP/1.1 400 Bad Request\r\n"]
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        content.append(b"content-type: application/json\r\ncontent-length: %d\r\n" % len(_UNREADABLE))
        content.extend([b"connection: close\r\n\r\n", _UNREADABLE])
        self.transport.write(b"".join(content))
        self.transport.close()

    def _refuse(self) -> None:
        self.logger.warning("a request head over %d bytes was refused with 431", MAX_HEAD_BYTES)
        self._dropped = 0
        self.transport.write(_REFUSAL)
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(_LINGER_SECONDS, self.transport.close)
