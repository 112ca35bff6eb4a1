"""The API's side of requests between gateways (docs/spec/between-gateways.md): where a route finds the checker and the
sender.

:mod:`registry.service.gateway_requests` does the work; this module hands it to routes as
dependencies. The ``POST /v1/gateway/…`` routes (reports, priority documents) take
:data:`GatewayChecker`, call ``check_report`` / ``check_priority_document`` with their own
not-found sentence, then check the office's right to the file — every refusal the same 404 as an
unknown id. Routes that fetch from another gateway take :data:`GatewaySenderDep`; a holder that
cannot be reached is 503 ``HOLDER_UNAVAILABLE`` with ``Retry-After`` (api.errors).

``prioreg serve`` installs both with the nonce store in the gateway's state directory
(:func:`install_gateway_requests`), so every worker shares it; an app built without one (a test)
gets a store in memory on first use. The same call installs the report desk
(:class:`registry.service.reports.Reports`, docs/api.md#work-sharing-in-the-family): the files in the state
directory's ``files/``, the held reports and their access log in its ``reports.sqlite``; without a state
directory, a temporary folder and a log in memory. And the priority-document desk
(:class:`registry.service.priority_documents.PriorityDocuments`, docs/api.md#priority-documents): the packages in the
same ``files/``, their versions, secrets and access log in ``packages.sqlite``.
"""

from __future__ import annotations

import shutil
import tempfile
import weakref
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request

from registry.service import RegistryService
from registry.service.files import FileStore
from registry.service.gateway_requests import (
    NONCES_FILE,
    GatewaySender,
    NonceStore,
    RequestChecker,
    directory_endpoints,
)
from registry.service.priority_documents import PACKAGES_FILE, PackageBook, PriorityDocuments
from registry.service.reports import REPORTS_FILE, ReportBook, Reports

__all__ = [
    "GatewayChecker",
    "GatewaySenderDep",
    "PriorityDocumentsDep",
    "ReportsDep",
    "install_gateway_requests",
    "signed_request_body",
]


def install_gateway_requests(app: FastAPI, service: RegistryService, state_dir: Path | None) -> None:
    """Give ``app`` a checker (nonces in ``state_dir``, or in memory) and a sender over the directory."""
    metrics = getattr(app.state, "metrics", None)
    observe = metrics.count_gateway_call if metrics is not None else None
    nonces = NonceStore(state_dir / NONCES_FILE if state_dir is not None else ":memory:")
    app.state.gateway_checker = RequestChecker(service.chain, service.contract, nonces, observe=observe)
    app.state.gateway_sender = GatewaySender(directory_endpoints(service.index), observe=observe)
    if state_dir is not None:
        # The state directory's files/ (StateDir.files_dir) and reports.sqlite: shared by every worker, backed up.
        files, book = FileStore(state_dir / "files"), ReportBook(state_dir / REPORTS_FILE)
        packages = PackageBook(state_dir / PACKAGES_FILE)
    else:
        scratch = tempfile.mkdtemp(prefix="prioreg-files-")
        weakref.finalize(app, shutil.rmtree, scratch, ignore_errors=True)  # removed with the app
        files, book, packages = FileStore(Path(scratch)), ReportBook(":memory:"), PackageBook(":memory:")
    app.state.reports = Reports(service, files, book, app.state.gateway_sender)
    app.state.priority_documents = PriorityDocuments(service, files, packages, app.state.gateway_sender)


def _installed(request: Request) -> None:
    if getattr(request.app.state, "gateway_checker", None) is None:
        install_gateway_requests(request.app, request.app.state.service, None)


async def _checker(request: Request) -> RequestChecker:
    _installed(request)
    checker: RequestChecker = request.app.state.gateway_checker
    return checker


async def _sender(request: Request) -> GatewaySender:
    _installed(request)
    sender: GatewaySender = request.app.state.gateway_sender
    return sender


async def _reports(request: Request) -> Reports:
    _installed(request)
    reports: Reports = request.app.state.reports
    return reports


async def _priority_documents(request: Request) -> PriorityDocuments:
    _installed(request)
    desk: PriorityDocuments = request.app.state.priority_documents
    return desk


GatewayChecker = Annotated[RequestChecker, Depends(_checker)]
GatewaySenderDep = Annotated[GatewaySender, Depends(_sender)]
ReportsDep = Annotated[Reports, Depends(_reports)]
PriorityDocumentsDep = Annotated[PriorityDocuments, Depends(_priority_documents)]


def signed_request_body(request_type: str) -> dict[str, Any]:
    """The OpenAPI ``requestBody`` of a holder's route: ``{request, signature}``, ``request`` being ``request_type``
    (its EIP-712 type string) signed by the requesting office (docs/spec/between-gateways.md#signed-requests)."""
    return {
        "requestBody": {
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["request", "signature"],
                        "properties": {
                            "request": {
                                "type": "object",
                                "description": f"{request_type}, docs/spec/between-gateways.md",
                            },
                            "signature": {"type": "string", "description": "EIP-712 signature, 0x + 130 hex"},
                        },
                    }
                }
            },
            "required": True,
        }
    }
