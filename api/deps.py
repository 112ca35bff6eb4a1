"""Dependencies shared by the routes: the service, and the office behind a bearer token."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.auth import TokenStore
from api.errors import Unauthenticated
from api.observability import OFFICE_STATE_KEY
from registry.service import RegistryService

__all__ = ["CallerOffice", "Service", "Tokens", "Unauthenticated"]

_bearer = HTTPBearer(auto_error=False, description="An office token (docs/api.md#who-is-calling).")

# The dependencies are ``async def`` although they never wait: FastAPI runs a plain ``def``
# dependency in the thread pool, a hop to a worker thread and back on every request just to read
# an attribute (in the bench, a quarter of the verification endpoint's CPU).


async def _service(request: Request) -> RegistryService:
    service: RegistryService = request.app.state.service
    return service


async def _tokens(request: Request) -> TokenStore:
    tokens: TokenStore = request.app.state.tokens
    return tokens


Service = Annotated[RegistryService, Depends(_service)]
Tokens = Annotated[TokenStore, Depends(_tokens)]


async def _caller_office(
    request: Request, tokens: Tokens, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> str:
    if credentials is None or not credentials.credentials:
        raise Unauthenticated("this request needs an office token: Authorization: Bearer <token>")
    office = tokens.office_for(credentials.credentials)
    if office is None:
        raise Unauthenticated("the office token is not valid")
    # For the access log (api.observability): the office, never the token.
    request.state[OFFICE_STATE_KEY] = office
    return office


CallerOffice = Annotated[str, Depends(_caller_office)]
