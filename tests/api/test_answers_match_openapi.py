"""Every real answer is what the served OpenAPI document says it is (issue 14, item 3).

The response models are the serializer (:mod:`registry.service.answers`) and FastAPI writes the
document from the same models; this test holds the two together from the outside. Each JSON
operation of ``/openapi.json`` is called in-process with real data (filings anchored on the
embedded chain, claims on time, late, restorable, unknown), and each body is validated against the
schema the document declares for that operation and status, with two things made strict that a
generated schema leaves open: no key the document does not name (``additionalProperties: false``)
and ``format: date`` checked. Refusals are validated too: each error status an operation answers
with here must be declared, with the error envelope as its schema.

A new JSON operation without a success answer here fails :func:`test_every_json_operation_is_checked`.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import jsonschema_rs
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import TypeAdapter, ValidationError

from api.schemas import VerifyIn
from tests.api.conftest import Api
from tests.api.helpers import claim, filing, fresh_access_code, verify_body

SUCCESS = range(200, 300)


def _closed(node: Any) -> Any:
    """The schema with every object closed: a key the document does not name is a failure."""
    if isinstance(node, dict):
        out = {key: _closed(value) for key, value in node.items()}
        if isinstance(out.get("properties"), dict) and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [_closed(value) for value in node]
    return node


@dataclass
class Contract:
    """The served document and the routes' answer models, to check real answers against."""

    document: dict[str, Any]
    models: dict[tuple[str, str], Any]

    def schema(self, method: str, path: str, status: int) -> dict[str, Any]:
        operation = self.document["paths"][path][method]
        declared = operation["responses"]
        assert str(status) in declared, f"{method.upper()} {path} answered {status}, which it does not declare"
        content = declared[str(status)].get("content", {})
        assert "application/json" in content, f"{method.upper()} {path} {status} declares no JSON body"
        return content["application/json"]["schema"]

    def check(self, method: str, path: str, response: httpx.Response, status: int) -> Any:
        """Validate the body of ``response`` (to ``method path``, a template) against its declared schema."""
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("application/json")
        body = response.json()
        schema = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "components": _closed(copy.deepcopy(self.document["components"])),
            **_closed(self.schema(method, path, status)),
        }
        validator = jsonschema_rs.validator_for(schema, validate_formats=True)
        problems = [f"{e.instance_path}: {e.message}" for e in validator.iter_errors(body)]
        assert not problems, f"{method.upper()} {path} {status}: {problems}\n{response.text[:2000]}"
        if status in SUCCESS:
            # The body reads back into the route's own answer model and writes out the same: the
            # model is the serializer, not a description next to it.
            adapter = TypeAdapter(self.models[(method, path)])
            assert adapter.dump_python(adapter.validate_python(body), mode="json", by_alias=True) == body
        assert status not in SUCCESS or (method, path, status) in CHECKED, "add it to CHECKED"
        return body


@pytest.fixture(scope="module")
def contract(api: Api) -> Iterator[Contract]:
    app = api.client.app
    assert isinstance(app, FastAPI)
    models = {
        (method.lower(), context.path_format): context.original_route.response_model
        # FastAPI's own walk over included routers (what its OpenAPI generation uses).
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute) and context.original_route.response_model is not None
        for method in context.original_route.methods
    }
    yield Contract(api.client.get("/openapi.json").json(), models)


@dataclass(frozen=True)
class Seeded:
    """What the module anchored: a JP first filing with a document, claimed by a US filing."""

    jp: str
    us: str
    jp_claim: dict[str, str]
    jp_number: str
    jp_code: str
    digest: bytes


@pytest.fixture(scope="module")
def seeded(api: Api, contract: Contract) -> Seeded:
    digest = hashlib.sha256(b"the priority document").digest()
    jp_code = fresh_access_code()
    answer = api.client.post(
        "/v1/filings",
        headers=api.auth("JP"),
        json=filing("2017-187096", "2017-09-27", accessCode=jp_code, documentDigest=digest.hex()),
    )
    jp = contract.check("post", "/v1/filings", answer, 201)
    jp_claim = claim("JP", "2017-187096", "2017-09-27", jp_code)
    answer = api.client.post(
        "/v1/filings", headers=api.auth("US"), json=filing("16/123,456", "2018-09-06", priorityClaims=[jp_claim])
    )
    us = contract.check("post", "/v1/filings", answer, 201)
    assert us["priorityClaims"][0]["verification"]["verdict"] == "valid"
    return Seeded(jp["commitment"], us["commitment"], jp_claim, "2017-187096", jp_code, digest)


def test_a_batch_answer_matches_its_schema(api: Api, contract: Contract, seeded: Seeded) -> None:
    # Late (restorable at the EPO) and a design claiming a patent (a warning): verifications with
    # a restoration object and a failed warning check.
    body = {
        "filings": [
            filing("EP 18 195 432.2", "2018-10-29", priorityClaims=[seeded.jp_claim]),
            filing("EP 18 195 433", "2018-03-20", "design", priorityClaims=[seeded.jp_claim]),
        ]
    }
    answer = contract.check(
        "post", "/v1/filing-batches", api.client.post("/v1/filing-batches", headers=api.auth("EP"), json=body), 201
    )
    verdicts = [f["priorityClaims"][0]["verification"]["verdict"] for f in answer["filings"]]
    assert verdicts == ["restorable", "valid"]
    assert answer["filings"][0]["priorityClaims"][0]["verification"]["restoration"]["criterion"] == "dueCare"


@pytest.mark.parametrize(
    ("later", "verdict"),
    [
        ({"ipOfficeCode": "US", "filingDate": "2018-09-06", "ipRightKind": "patent"}, "valid"),
        ({"ipOfficeCode": "EP", "filingDate": "2018-10-29", "ipRightKind": "patent"}, "restorable"),
        # An office whose restoration law is not known here: restoration with nulls.
        ({"ipOfficeCode": "CN", "filingDate": "2018-10-29", "ipRightKind": "patent"}, "restorable"),
        ({"ipOfficeCode": "EP", "filingDate": "2019-10-29", "ipRightKind": "patent"}, "invalid"),
        ({"ipOfficeCode": "CN", "filingDate": "2018-03-20", "ipRightKind": "design"}, "valid"),
        (
            {
                "ipOfficeCode": "WO",
                "filingDate": "2018-09-06",
                "ipRightKind": "patent",
                "applicationNumber": "PCT/EP2018/012345",
                "parentFilingDate": "2018-01-01",
                "parentRelation": "continuationInPart",
            },
            "valid",
        ),
    ],
)
def test_each_verdict_matches_the_verification_schema(
    api: Api, contract: Contract, seeded: Seeded, later: dict[str, str], verdict: str
) -> None:
    answer = api.client.post("/v1/priority-claims/verify", json={"priority": seeded.jp_claim, "later": later})
    body = contract.check("post", "/v1/priority-claims/verify", answer, 200)
    assert body["verdict"] == verdict
    assert body["registered"]["commitment"] == seeded.jp


def test_not_found_matches_the_verification_schema(api: Api, contract: Contract, seeded: Seeded) -> None:
    wrong = {**seeded.jp_claim, "accessCode": fresh_access_code()}
    answer = api.client.post("/v1/priority-claims/verify", json=verify_body(wrong, "US", "2018-09-06"))
    body = contract.check("post", "/v1/priority-claims/verify", answer, 200)
    assert body["verdict"] == "notFound" and body["registered"] is None and body["priorityPeriodEnd"] is None


def test_records_and_versions_match_their_schemas(api: Api, contract: Contract, seeded: Seeded) -> None:
    for commitment, office in ((seeded.jp, None), (seeded.us, "US")):
        params = {"ipOfficeCode": office} if office else {}
        answer = api.client.get(f"/v1/applications/{commitment}", params=params)
        record = contract.check("get", "/v1/applications/{commitment}", answer, 200)
        assert record["commitment"] == commitment
    assert record["priorityClaims"][0]["commitment"] == seeded.jp
    answer = api.client.get(f"/v1/applications/{seeded.jp}/versions/1")
    version = contract.check("get", "/v1/applications/{commitment}/versions/{version}", answer, 200)
    assert version["documentDigest"] is not None  # bound to the commitment, so not the raw SHA-256


def test_all_claims_of_an_application_match_their_schema(api: Api, contract: Contract, seeded: Seeded) -> None:
    # A claim registered, and (in a family of its own, so that the seeded family stays confirmed) one not anchored
    # yet: a verification with no registered record.
    pending = claim("JP", "2017-200002", "2017-10-03", fresh_access_code())
    path = "/v1/applications/{commitment}/priority-claims"
    verdicts = []
    for number, claimed in (("201810601863", seeded.jp_claim), ("201810601864", pending)):
        answer = api.client.post(
            "/v1/filings", headers=api.auth("CN"), json=filing(number, "2018-09-20", priorityClaims=[claimed])
        )
        later = contract.check("post", "/v1/filings", answer, 201)
        url = f"/v1/applications/{later['commitment']}/priority-claims?ipOfficeCode=CN"
        body = contract.check("get", path, api.client.get(url), 200)
        assert body["commitment"] == later["commitment"]
        verdicts += [c["verification"]["verdict"] for c in body["priorityClaims"]]
    assert verdicts == ["valid", "notFound"]
    body = contract.check("get", path, api.client.get(f"/v1/applications/{seeded.jp}/priority-claims"), 200)
    assert body == {"commitment": seeded.jp, "priorityClaims": []}


def test_a_family_matches_its_schema(api: Api, contract: Contract, seeded: Seeded) -> None:
    answer = contract.check("get", "/v1/families/{commitment}", api.client.get(f"/v1/families/{seeded.us}"), 200)
    assert {m["commitment"] for m in answer["extendedFamily"]} >= {seeded.jp, seeded.us}
    assert answer["links"] and all(link["confirmed"] for link in answer["links"])


def test_a_family_with_a_member_not_anchored_yet_matches_its_schema(api: Api, contract: Contract) -> None:
    # A claim to an application its office has not anchored: a member with null details.
    pending = claim("JP", "2017-200001", "2017-10-02", fresh_access_code())
    answer = api.client.post(
        "/v1/filings", headers=api.auth("US"), json=filing("16/200,001", "2018-09-07", priorityClaims=[pending])
    )
    later = contract.check("post", "/v1/filings", answer, 201)
    family = contract.check(
        "get", "/v1/families/{commitment}", api.client.get(f"/v1/families/{later['commitment']}"), 200
    )
    members = {m["anchored"]: m for m in family["extendedFamily"]}
    assert members[False]["filingDate"] is None and members[False]["ipRightKind"] is None


def test_documents_match_their_schema(api: Api, contract: Contract, seeded: Seeded) -> None:
    named = {"ipOfficeCode": "JP", "applicationNumber": seeded.jp_number, "accessCode": seeded.jp_code}
    answer = api.client.post("/v1/documents/verify", json={**named, "documentDigest": seeded.digest.hex()})
    assert contract.check("post", "/v1/documents/verify", answer, 200)["matches"] is True
    answer = api.client.post("/v1/documents/verify", data=named, files={"file": ("x.pdf", b"not the document")})
    assert contract.check("post", "/v1/documents/verify", answer, 200)["matches"] is False


def test_a_package_verification_matches_its_schema(api: Api, contract: Contract) -> None:
    from registry.domain.filings import FilingInput
    from registry.domain.types import IpRightKind
    from registry.service.packages import create_package

    # An application of its own: a package is a new version, which the seeded records must not get.
    outcome = api.service.anchor("JP", FilingInput("2019-050001", dt.date(2019, 3, 1), IpRightKind.PATENT))
    created = create_package(
        api.service, "JP", outcome.prepared.commitment, "2019-050001", None, [("app.pdf", "application/pdf", b"%")]
    )
    answer = api.client.post("/v1/priority-documents/verify", files={"file": ("p.zip", created.data)})
    assert contract.check("post", "/v1/priority-documents/verify", answer, 200)["valid"] is True
    answer = api.client.post("/v1/priority-documents/verify", files={"file": ("p.zip", b"PK not a zip at all..")})
    assert answer.status_code == 422


def test_the_directory_and_health_match_their_schemas(api: Api, contract: Contract) -> None:
    offices = contract.check("get", "/v1/offices", api.client.get("/v1/offices"), 200)
    assert {o["ipOfficeCode"] for o in offices} >= {"JP", "US"}
    assert contract.check("get", "/v1/health", api.client.get("/v1/health"), 200)["status"] == "ok"


def test_notifications_match_their_schema(api: Api, contract: Contract, seeded: Seeded) -> None:
    answer = contract.check(
        "get", "/v1/notifications", api.client.get("/v1/notifications", headers=api.auth("JP")), 200
    )
    assert {n["commitment"] for n in answer["notifications"]} >= {seeded.jp, seeded.us}
    later = api.client.get("/v1/notifications", params={"after": answer["next"]}, headers=api.auth("US"))
    contract.check("get", "/v1/notifications", later, 200)


def test_a_publication_matches_its_schema(api: Api, contract: Contract, seeded: Seeded) -> None:
    body = {"applicationNumber": seeded.jp_number, "accessCode": seeded.jp_code}
    answer = contract.check(
        "post", "/v1/publications", api.client.post("/v1/publications", headers=api.auth("JP"), json=body), 200
    )
    assert answer["commitment"] == seeded.jp and answer["applicationNumber"] == "JP2017187096"
    # Published: the number is in the record and in the family now, still as the schemas say.
    record = contract.check(
        "get", "/v1/applications/{commitment}", api.client.get(f"/v1/applications/{seeded.jp}"), 200
    )
    assert record["applicationNumber"] == "JP2017187096"
    contract.check("get", "/v1/families/{commitment}", api.client.get(f"/v1/families/{seeded.jp}"), 200)


def test_refusals_are_the_declared_error_envelope(api: Api, contract: Contract, seeded: Seeded) -> None:
    unknown = "0x" + "ab" * 32
    cases: list[tuple[str, str, httpx.Response, int]] = [
        ("get", "/v1/applications/{commitment}", api.client.get(f"/v1/applications/{unknown}"), 404),
        ("get", "/v1/applications/{commitment}", api.client.get("/v1/applications/0x12"), 422),
        (
            "get",
            "/v1/applications/{commitment}/priority-claims",
            api.client.get(f"/v1/applications/{unknown}/priority-claims"),
            404,
        ),
        (
            "get",
            "/v1/applications/{commitment}/versions/{version}",
            api.client.get(f"/v1/applications/{seeded.jp}/versions/9"),
            404,
        ),
        ("get", "/v1/families/{commitment}", api.client.get(f"/v1/families/{unknown}"), 404),
        ("post", "/v1/filings", api.client.post("/v1/filings", json=filing("2017-187097", "2017-09-27")), 401),
        (
            "post",
            "/v1/filings",
            api.client.post("/v1/filings", headers=api.auth("JP"), json=filing("2017-187097", "2017-02-30")),
            422,
        ),
        (
            "post",
            "/v1/filings",
            api.client.post(
                "/v1/filings",
                headers=api.auth("JP"),
                json=filing(seeded.jp_number, "2017-09-27", accessCode=seeded.jp_code),
            ),
            409,
        ),
        (
            "post",
            "/v1/filing-batches",
            api.client.post("/v1/filing-batches", headers=api.auth("US"), json={"filings": []}),
            422,
        ),
        (
            "post",
            "/v1/priority-claims/verify",
            api.client.post("/v1/priority-claims/verify", json=verify_body(seeded.jp_claim, "US", "2018/09/06")),
            422,
        ),
        (
            "post",
            "/v1/publications",
            api.client.post(
                "/v1/publications",
                headers=api.auth("US"),
                json={"applicationNumber": "JP" + seeded.jp_number.replace("-", ""), "accessCode": seeded.jp_code},
            ),
            403,
        ),
        (
            "post",
            "/v1/filing-batches",
            api.client.post(
                "/v1/filing-batches", headers=api.auth("EP"), json={"filings": [filing("US16123499", "2018-09-06")]}
            ),
            403,
        ),
        ("post", "/v1/documents/verify", api.client.post("/v1/documents/verify", json={"ipOfficeCode": "JP"}), 422),
    ]
    for method, path, response, status in cases:
        body = contract.check(method, path, response, status)
        assert set(body) == {"error"} and body["error"]["code"]


#: The JSON success answers the tests above validate (each ``Contract.check`` call is one of them).
def test_reports_match_their_schemas(api: Api, contract: Contract, seeded: Seeded) -> None:
    api.service.sync()  # JP's gateway confirms the US claim
    answer = api.client.post(
        f"/v1/applications/{seeded.jp}/reports",
        files={"file": ("r.pdf", b"a written opinion", "application/pdf")},
        data={"kind": "writtenOpinion", "issued": "2018-01-15"},
        headers=api.auth("JP"),
    )
    report = contract.check("post", "/v1/applications/{commitment}/reports", answer, 201)
    listed = contract.check(
        "get",
        "/v1/families/{commitment}/reports",
        api.client.get(f"/v1/families/{seeded.us}/reports", headers=api.auth("US")),
        200,
    )
    assert [r["reportId"] for r in listed["reports"]] == [report["reportId"]]
    assert api.client.get(f"/v1/reports/{report['reportId']}", headers=api.auth("US")).status_code == 200
    accesses = contract.check(
        "get",
        "/v1/reports/{reportId}/accesses",
        api.client.get(f"/v1/reports/{report['reportId']}/accesses", headers=api.auth("JP")),
        200,
    )
    assert [(a["ipOfficeCode"], a["throughCommitment"]) for a in accesses["accesses"]] == [("US", seeded.us)]


def test_priority_documents_match_their_schemas(api: Api, contract: Contract) -> None:
    from registry.domain.filings import FilingInput
    from registry.domain.types import IpRightKind

    outcome = api.service.anchor("JP", FilingInput("2019-050002", dt.date(2019, 3, 1), IpRightKind.PATENT))
    commitment = "0x" + outcome.prepared.commitment.hex()
    answer = api.client.post(
        f"/v1/applications/{commitment}/priority-document",
        files={"file": ("app.pdf", b"%PDF", "application/pdf")},
        data={"applicationNumber": "2019-050002"},
        headers=api.auth("JP"),
    )
    created = contract.check("post", "/v1/applications/{commitment}/priority-document", answer, 201)
    asked = {
        "ipOfficeCode": "JP",
        "applicationNumber": "2019-050002",
        "filingDate": "2019-03-01",
        "accessCode": str(outcome.prepared.access_code),
    }
    answer = api.client.post("/v1/priority-documents/retrieve", json=asked, headers=api.auth("EP"))
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/zip"
    accesses = contract.check(
        "get",
        "/v1/applications/{commitment}/priority-document/accesses",
        api.client.get(f"/v1/applications/{commitment}/priority-document/accesses", headers=api.auth("JP")),
        200,
    )
    assert [(a["ipOfficeCode"], a["version"]) for a in accesses["accesses"]] == [("EP", created["version"])]


CHECKED = {
    ("get", "/v1/offices", 200),
    ("get", "/v1/health", 200),
    ("post", "/v1/filings", 201),
    ("post", "/v1/filing-batches", 201),
    ("get", "/v1/applications/{commitment}", 200),
    ("get", "/v1/applications/{commitment}/versions/{version}", 200),
    ("get", "/v1/applications/{commitment}/priority-claims", 200),
    ("get", "/v1/families/{commitment}", 200),
    ("post", "/v1/priority-claims/verify", 200),
    ("post", "/v1/publications", 200),
    ("post", "/v1/documents/verify", 200),
    ("get", "/v1/notifications", 200),
    ("post", "/v1/priority-documents/verify", 200),
    ("post", "/v1/applications/{commitment}/reports", 201),
    ("get", "/v1/families/{commitment}/reports", 200),
    ("get", "/v1/reports/{reportId}/accesses", 200),
    ("post", "/v1/applications/{commitment}/priority-document", 201),
    ("get", "/v1/applications/{commitment}/priority-document/accesses", 200),
}


def test_every_json_operation_is_checked(contract: Contract) -> None:
    """Every JSON success answer of the document is one a test here validates (a new operation
    without a test fails); independent of test order, so it holds under pytest-xdist."""
    wanted = {
        (method, path, int(status))
        for path, item in contract.document["paths"].items()
        for method, operation in item.items()
        for status, declared in operation.get("responses", {}).items()
        if status.isdigit()
        and int(status) in SUCCESS
        and "application/json" in declared.get("content", {})
        # HEAD /v1/health declares the media type of the body it never sends.
        and method != "head"
    }
    assert wanted, "the document lists no JSON operation"
    assert wanted == CHECKED, f"not validated here: {sorted(wanted - CHECKED)}; gone: {sorted(CHECKED - wanted)}"


def test_a_request_date_is_a_real_date_written_back_as_iso_text() -> None:
    # IsoDate: the schema's YYYY-MM-DD text in, a datetime.date in the body, the same text out.
    body = verify_body(claim("JP", "2017-187096", "2017-09-27", fresh_access_code()), "US", "2018-09-06")
    body["later"]["parentFilingDate"] = None
    parsed = VerifyIn.model_validate(body)
    assert parsed.priority.filing_date == dt.date(2017, 9, 27)
    assert parsed.later.parent_filing_date is None
    assert parsed.model_dump(mode="json", by_alias=True) == {
        "priority": body["priority"],
        "later": {**body["later"], "applicationNumber": None, "parentRelation": None},
    }
    for text in ("2017-02-30", "2017-9-27", "20170927", 20170927):
        with pytest.raises(ValidationError):
            VerifyIn.model_validate({**body, "priority": {**body["priority"], "filingDate": text}})
