"""The OpenAPI contract as served (WIPO ST.90 habits; issue 19, item 3).

FastAPI writes most of it from the routes; this module adds what no single route declares:

- every operation has a name (``operationId``, lowerCamelCase: ``verifyPriorityClaim``): routes
  name theirs; :func:`operation_id` names one that forgot from its function
  (``get_family`` → ``getFamily``), never FastAPI's generated ``get_family_v1_families__c__get``;
- every 4xx answer is the error envelope: FastAPI's default 422 (``HTTPValidationError``, a body
  this API never sends) is replaced by ``ErrorEnvelope``, and the answers any operation can get
  from the middleware are declared where they apply — 406 (``Accept``), 429 (rate limit, API
  paths), 413 and 415 (operations with a body), 304 with ETag and Cache-Control where
  :mod:`api.caching` applies;
- the description lists the error detail vocabulary (:mod:`api.vocabulary`);
- every schema property has a description and an example, from the data dictionary
  (:mod:`api.glossary`) where the field declares none.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel

from api import schemas
from api.caching import POLICIES
from api.glossary import document_properties
from api.vocabulary import markdown

__all__ = ["install_openapi", "operation_id"]

_ENVELOPE = {"$ref": "#/components/schemas/ErrorEnvelope"}
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def operation_id(route: APIRoute) -> str:
    """A lowerCamelCase name for a route that declares none, from its function's name."""
    head, *rest = route.name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _error(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": description, "content": {"application/json": {"schema": _ENVELOPE}}}
    if headers:
        answer["headers"] = headers
    return answer


def _complete(schema: dict[str, Any]) -> dict[str, Any]:
    for path, item in schema.get("paths", {}).items():
        for method in _METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            invalid = responses.get("422")
            if invalid is not None:
                invalid["content"] = {"application/json": {"schema": _ENVELOPE}}
            responses.setdefault("406", _error("The Accept header names no media type this operation produces."))
            if path.startswith("/v1/") and path != "/v1/health":
                retry = {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}}
                responses.setdefault("429", _error("Too many requests from this caller.", retry))
            policy = POLICIES.get(path)
            if policy is not None and method == "get":
                etag = {
                    "ETag": {"description": "Strong validator of the answer's bytes.", "schema": {"type": "string"}}
                }
                control = {"description": policy, "schema": {"type": "string"}}
                responses.get("200", {}).setdefault("headers", {}).update({**etag, "Cache-Control": control})
                responses.setdefault("304", {"description": "Not modified: If-None-Match named the current ETag."})
            if "requestBody" in operation:
                responses.setdefault("413", _error("The body is larger than the operation takes."))
                responses.setdefault("415", _error("The body's Content-Type is not one the operation takes."))
                responses.setdefault("422", _error("Malformed input."))
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    _add_referenced_models(schema, components)
    _drop_unreferenced(schema, components)
    document_properties(components)
    return schema


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"].rsplit("/", 1)[-1]} if isinstance(node.get("$ref"), str) else set()
        for value in node.values():
            found |= _refs(value)
        return found
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node)) if node else set()
    return set()


def _add_referenced_models(schema: dict[str, Any], components: dict[str, Any]) -> None:
    """A body declared by hand (``openapi_extra``: the JSON or multipart verify of a document)
    names a model no route parameter brought into the components: add it, and what it uses."""
    missing = _refs(schema) - set(components)
    while missing:
        name = missing.pop()
        model = getattr(schemas, name, None)
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            continue
        generated = model.model_json_schema(by_alias=True, ref_template="#/components/schemas/{model}")
        for inner, definition in generated.pop("$defs", {}).items():
            components.setdefault(inner, definition)
        components[name] = generated
        missing |= _refs(generated) - set(components)


def _drop_unreferenced(schema: dict[str, Any], components: dict[str, Any]) -> None:
    """FastAPI lists every enum a model's field is typed with, even one the field writes as a name
    (``ipRightKind`` holds an ``IpRightKind``, :mod:`registry.service.answers`): keep only what an
    operation reaches."""
    reached: set[str] = set()
    todo = _refs(schema.get("paths", {}))
    while todo:
        name = todo.pop()
        if name in reached or name not in components:
            continue
        reached.add(name)
        todo |= _refs(components[name])
    for name in set(components) - reached:
        del components[name]


def install_openapi(app: FastAPI) -> None:
    """Serve the completed contract at ``/openapi.json`` (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                description=f"{app.description}\n\n## Error detail codes\n\n"
                "`error.details[].code` is always one of these (docs/api.md):\n\n" + markdown(),
                routes=app.routes,
                tags=app.openapi_tags,
            )
            app.openapi_schema = _complete(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
