"""One documented vocabulary of error detail codes, and named operations (issue 19, item 3;
docs/api.md#error-detail-codes). The schema-driven run over every endpoint is tests/api/test_fuzz_schemathesis.py; here:
every code the sources can raise, every contract error and every pydantic type is in the vocabulary, and the contract
served says so."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

from api.vocabulary import DETAIL_CODES, PYDANTIC_CODES, REVERT_CODES, detail_for_pydantic, detail_for_revert
from registry.ledger.compile import load_artifact
from tests.api.conftest import Api
from tests.api.helpers import assert_envelope, claim, fresh_access_code, verify_body

ROOT = Path(__file__).resolve().parents[2]
CAMEL = re.compile(r"^[a-z][a-zA-Z0-9]*$")


def _raised_codes() -> dict[str, str]:
    """Every detail code written in the sources: ``code="…"`` arguments, ``default_code = "…"``,
    ``{"code": "…"}`` literals, and the reason codes of the number and JSON helpers."""
    found: dict[str, str] = {}
    for package in ("registry", "api"):
        for path in sorted((ROOT / package).rglob("*.py")):
            where = str(path.relative_to(ROOT))
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call):
                    for keyword in node.keywords:
                        if keyword.arg == "code" and isinstance(keyword.value, ast.Constant):
                            found.setdefault(str(keyword.value.value), where)
                    name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                    if name in ("fail", "_refuse"):
                        for arg in node.args:
                            if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and CAMEL.match(arg.value):
                                found.setdefault(arg.value, where)
                elif isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "default_code" for t in node.targets):
                    if isinstance(node.value, ast.Constant):
                        found.setdefault(str(node.value.value), where)
                elif isinstance(node, ast.Dict):
                    for key, value in zip(node.keys, node.values, strict=True):
                        literal = value.value if isinstance(value, ast.Constant) else None
                        is_code = isinstance(key, ast.Constant) and key.value == "code"
                        if is_code and isinstance(literal, str) and CAMEL.match(literal):
                            found.setdefault(literal, where)
    return found


def test_the_vocabulary_is_lower_camel_case_and_every_code_is_explained() -> None:
    for code, meaning in DETAIL_CODES.items():
        assert CAMEL.match(code), code
        assert meaning.strip(), code
    assert "missing" not in DETAIL_CODES and not any("_" in code for code in DETAIL_CODES)


def test_every_code_the_sources_raise_is_in_the_vocabulary() -> None:
    raised = _raised_codes()
    assert len(raised) > 40  # the scan does see the sources
    unknown = {code: where for code, where in raised.items() if code not in DETAIL_CODES}
    assert not unknown, f"add these to api/vocabulary.py (and the README): {unknown}"


def test_every_contract_error_maps_to_a_domain_code() -> None:
    errors = [item["name"] for item in load_artifact()["abi"] if item["type"] == "error"]
    assert "PriorityRegistryAlreadyAnchored" in errors
    for name in errors:
        short = name.removeprefix("PriorityRegistry")
        if name.startswith("PriorityRegistry"):
            assert short in REVERT_CODES, f"{name} has no detail code"
        assert detail_for_revert(name) in DETAIL_CODES
    assert detail_for_revert("PriorityRegistryAlreadyAnchored") == "alreadyAnchored"
    assert detail_for_revert("PriorityRegistryOfficeNotActive") == "officeNotActive"
    assert detail_for_revert("Error") == "ledgerRefused"  # a plain require message


def test_every_pydantic_type_maps_into_the_vocabulary() -> None:
    assert set(PYDANTIC_CODES.values()) <= set(DETAIL_CODES)
    assert detail_for_pydantic("missing") == "required"
    assert detail_for_pydantic("string_type") == "wrongType"
    assert detail_for_pydantic("some_future_type") == "invalidValue"


def _details(response: Any) -> list[dict[str, Any]]:
    details: list[dict[str, Any]] = assert_envelope(response, 422, "INVALID_INPUT_DATA")["details"]
    return details


def _codes(api: Api, body: dict[str, Any]) -> list[str]:
    return [d["code"] for d in _details(api.client.post("/v1/priority-claims/verify", json=body))]


def test_schema_errors_carry_domain_codes(api: Api) -> None:
    good = verify_body(claim("JP", "2017-187096", "2017-09-27", fresh_access_code()), "US", "2018-09-06")
    missing = {"priority": good["priority"]}
    assert _details(api.client.post("/v1/priority-claims/verify", json=missing))[0] == {
        "code": "required",
        "message": "Field required",
        "target": "later",
    }
    wrong_type = {**good, "later": {**good["later"], "filingDate": 20180906}}
    assert _codes(api, wrong_type) == ["wrongType"]
    typo = {**good, "laterr": {}}
    assert "unknownField" in _codes(api, typo)
    kind = {**good, "later": {**good["later"], "ipRightKind": "copyright"}}
    assert _codes(api, kind) == ["notAllowedValue"]
    long = {**good, "priority": {**good["priority"], "applicationNumber": "1" * 65}}
    assert _codes(api, long) == ["tooLong"]
    upload = api.client.post("/v1/documents/verify", files={"other": ("a", b"x")})
    assert _details(upload)[0]["code"] == "required"


def test_the_contract_lists_the_vocabulary_and_names_every_operation(api: Api) -> None:
    schema = api.client.get("/openapi.json").json()
    for code in DETAIL_CODES:
        assert f"`{code}`" in schema["info"]["description"], code
    ids = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            ids.append(operation["operationId"])
            assert CAMEL.match(operation["operationId"]), (method, path)
            for status, answer in operation["responses"].items():
                if status.startswith(("4", "5")):
                    assert answer["content"]["application/json"]["schema"] == {
                        "$ref": "#/components/schemas/ErrorEnvelope"
                    }, (method, path, status)
    assert len(ids) == len(set(ids))
    assert {"verifyPriorityClaim", "anchorFiling", "anchorFilingBatch", "getApplication", "getFamily"} <= set(ids)
    assert "HTTPValidationError" not in str(schema)
    # A hand-declared body names a schema that is there.
    refs = re.findall(r"#/components/schemas/(\w+)", str(schema))
    assert set(refs) <= set(schema["components"]["schemas"])


def test_the_readme_lists_the_vocabulary() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert [code for code in DETAIL_CODES if f"`{code}`" not in readme] == []


def _holds_schema(prop: dict[str, Any]) -> bool:
    if "$ref" in prop or "allOf" in prop:
        return True
    if prop.get("type") == "array" and "$ref" in prop.get("items", {}):
        return True
    return any(_holds_schema(p) for p in prop.get("anyOf", ()) if p.get("type") != "null")


def test_every_schema_field_has_a_description_and_an_example(api: Api) -> None:
    """ST.90: every property is described; every property holding a value has an example (one that
    holds another schema is exemplified by that schema's own fields)."""
    components = api.client.get("/openapi.json").json()["components"]["schemas"]
    gaps = []
    for name, schema in components.items():
        assert schema.get("description"), name
        for field, prop in schema.get("properties", {}).items():
            if not prop.get("description"):
                gaps.append(f"{name}.{field}: description")
            if not _holds_schema(prop) and not (prop.get("examples") or "example" in prop):
                gaps.append(f"{name}.{field}: example")
    assert gaps == []
    verify = components["VerifyIn"]["properties"]
    assert verify["priority"]["description"] and components["PriorityIn"]["properties"]["accessCode"]["examples"]
