"""``GET /v1/families/{commitment}.svg``: the family picture an examiner sees next to a verdict.

The family under test has four members: a Japanese first filing that its office has published, a
Chinese application known only because the US application claims it (not anchored yet), the US
application claiming both, and a European application claiming the Japanese one.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import pytest

from registry.domain.family_svg import MAX_DRAWN, family_svg
from tests.api.conftest import Api

SVG = "{http://www.w3.org/2000/svg}"
NOT_ANCHORED_CN = ("CN", "201710601862.3", "2017-10-10")


@dataclass(frozen=True)
class Family:
    jp: str
    us: str
    ep: str
    cn: str


def _anchor(api: Api, office: str, body: dict[str, Any]) -> dict[str, Any]:
    response = api.client.post("/v1/filings", json=body, headers=api.auth(office))
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


@pytest.fixture(scope="module")
def family(api: Api) -> Family:
    jp = _anchor(api, "JP", {"applicationNumber": "2017-187096", "filingDate": "2017-09-27", "ipRightKind": "patent"})
    published = api.client.post(
        "/v1/publications",
        json={"applicationNumber": "2017-187096", "accessCode": jp["accessCode"]},
        headers=api.auth("JP"),
    )
    assert published.status_code == 200, published.text
    jp_claim = {
        "ipOfficeCode": "JP",
        "applicationNumber": "2017-187096",
        "filingDate": "2017-09-27",
        "accessCode": jp["accessCode"],
    }
    office, number, day = NOT_ANCHORED_CN
    cn_claim = {"ipOfficeCode": office, "applicationNumber": number, "filingDate": day, "accessCode": jp["accessCode"]}
    us = _anchor(
        api,
        "US",
        {
            "applicationNumber": "16/123,456",
            "filingDate": "2018-09-06",
            "ipRightKind": "patent",
            "priorityClaims": [jp_claim, cn_claim],
        },
    )
    ep = _anchor(
        api,
        "EP",
        {
            "applicationNumber": "EP18123456",
            "filingDate": "2018-09-20",
            "ipRightKind": "patent",
            "priorityClaims": [jp_claim],
        },
    )
    cn = next(c["commitment"] for c in us["priorityClaims"] if c["verification"]["verdict"] == "notFound")
    return Family(jp["commitment"], us["commitment"], ep["commitment"], cn)


def _picture(api: Api, commitment: str) -> ET.Element:
    response = api.client.get(f"/v1/families/{commitment}.svg")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("image/svg+xml")
    return ET.fromstring(response.text)


def _members(svg: ET.Element) -> dict[str, ET.Element]:
    return {g.attrib["data-commitment"]: g for g in svg.iter(f"{SVG}g") if g.get("class") == "member"}


def _links(svg: ET.Element) -> list[ET.Element]:
    return [g for g in svg.iter(f"{SVG}g") if g.get("class") == "link"]


def _texts(element: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in element.iter(f"{SVG}text")]


def _left(member: ET.Element) -> float:
    rect = member.find(f"{SVG}rect")
    assert rect is not None
    return float(rect.attrib["x"])


def test_the_picture_is_well_formed_svg_with_one_box_per_family_member(api: Api, family: Family) -> None:
    svg = _picture(api, family.us)

    assert svg.tag == f"{SVG}svg"
    assert set(_members(svg)) == {family.jp, family.us, family.ep, family.cn}


def test_each_box_shows_office_kind_and_filing_date_and_the_number_only_once_published(
    api: Api, family: Family
) -> None:
    members = _members(_picture(api, family.us))

    assert _texts(members[family.jp]) == ["JP · patent", "filed 2017-09-27", "JP2017187096"]
    assert _texts(members[family.us]) == ["US · patent", "filed 2018-09-06", "number not published"]
    assert _texts(members[family.ep]) == ["EP · patent", "filed 2018-09-20", "number not published"]
    assert _texts(members[family.cn])[:2] == ["not anchored yet", "claimed as filed 2017-10-10"]
    assert members[family.cn].attrib["data-anchored"] == "false"


def test_every_priority_link_is_an_arrow_labelled_with_the_claimed_date(api: Api, family: Family) -> None:
    links = _links(_picture(api, family.us))

    drawn = {(g.attrib["data-from"], g.attrib["data-to"], _texts(g)[0]) for g in links}
    assert drawn == {
        (family.us, family.jp, "2017-09-27"),
        (family.us, family.cn, "2017-10-10"),
        (family.ep, family.jp, "2017-09-27"),
    }
    for g in links:
        path = g.find(f"{SVG}path")
        assert path is not None
        assert path.attrib["marker-end"].startswith("url(#prio-arrow")


def test_the_earliest_application_is_drawn_leftmost_and_each_claim_points_right(api: Api, family: Family) -> None:
    members = _members(_picture(api, family.ep))
    x = {commitment: _left(box) for commitment, box in members.items()}

    assert x[family.jp] == min(x.values())
    assert x[family.us] > x[family.jp]
    assert x[family.us] > x[family.cn]
    assert x[family.ep] > x[family.jp]


def test_the_application_asked_about_is_highlighted_and_named_in_the_title(api: Api, family: Family) -> None:
    svg = _picture(api, family.ep)
    members = _members(svg)

    title = svg.find(f"{SVG}title")
    assert title is not None
    assert f"{family.ep[:6]}…{family.ep[-4:]}" in (title.text or "")
    assert "this application" in members[family.ep].attrib["aria-label"]
    assert all("this application" not in g.attrib["aria-label"] for c, g in members.items() if c != family.ep)


def test_the_picture_reads_as_sentences_for_a_screen_reader(api: Api, family: Family) -> None:
    svg = _picture(api, family.us)

    desc = svg.find(f"{SVG}desc")
    assert desc is not None
    assert "US patent application filed 2018-09-06 claims the priority of JP patent application JP2017187096" in (
        desc.text or ""
    )
    assert svg.attrib["aria-labelledby"] == "prio-family-title prio-family-desc"
    for g in [*_members(svg).values(), *_links(svg)]:
        assert g.attrib["aria-label"]
        assert g.find(f"{SVG}title") is not None


def test_a_member_known_only_from_a_claim_has_its_own_picture(api: Api, family: Family) -> None:
    assert set(_members(_picture(api, family.cn))) == {family.jp, family.us, family.ep, family.cn}


def test_the_json_family_still_answers_beside_the_picture(api: Api, family: Family) -> None:
    response = api.client.get(f"/v1/families/{family.us}")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert [m["commitment"] for m in response.json()["extendedFamily"]][:1] == [family.jp]


def test_a_picture_of_an_unknown_commitment_is_a_404_envelope(api: Api) -> None:
    response = api.client.get(f"/v1/families/0x{'ab' * 32}.svg")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize("commitment", ["0x1234", "not-a-commitment", "0x" + "zz" * 32, "0x" + "ab" * 40])
def test_a_picture_of_a_malformed_commitment_is_a_422_envelope(api: Api, commitment: str) -> None:
    response = api.client.get(f"/v1/families/{commitment}.svg")

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "INVALID_INPUT_DATA"
    assert error["message"]


HOSTILE = '<script>alert("x")</script> & ]]> \x00\x1b'


def _hostile_family() -> dict[str, Any]:
    a, b = "0x" + "01" * 32, "0x" + "02" * 32
    return {
        "commitment": b,
        "extendedFamily": [
            {
                "commitment": a,
                "anchored": True,
                "ipOfficeCode": '"><svg onload=alert(1)>',
                "filingDate": "2017-01-01",
                "ipRightKind": "patent",
                "applicationNumber": HOSTILE,
            },
            {
                "commitment": b,
                "anchored": True,
                "ipOfficeCode": "US",
                "filingDate": HOSTILE,
                "ipRightKind": HOSTILE,
                "applicationNumber": None,
            },
        ],
        "links": [{"from": b, "to": a, "claimedFilingDate": HOSTILE}],
    }


def test_hostile_text_is_shown_as_text_and_never_becomes_markup() -> None:
    svg = ET.fromstring(family_svg(_hostile_family()))

    tags = {element.tag for element in svg.iter()}
    assert tags <= {f"{SVG}{name}" for name in ("svg", "title", "desc", "defs", "marker", "path", "rect", "text", "g")}
    assert not any(name.startswith("on") for element in svg.iter() for name in element.attrib)
    texts = " ".join(_texts(svg))
    assert "<script>" in texts  # drawn as the characters it is, for a person to see
    assert "\x00" not in texts


def test_a_giant_family_is_cut_to_the_members_nearest_the_application_asked_about() -> None:
    chain = [f"0x{i:064x}" for i in range(1, 3 * MAX_DRAWN)]
    family = {
        "commitment": chain[0],
        "extendedFamily": [
            {
                "commitment": c,
                "anchored": True,
                "ipOfficeCode": "EP",
                "filingDate": f"{2000 + i // 12:04d}-{i % 12 + 1:02d}-01",
                "ipRightKind": "patent",
                "applicationNumber": None,
            }
            for i, c in enumerate(chain)
        ],
        "links": [
            {"from": later, "to": earlier, "claimedFilingDate": "2000-01-01"} for earlier, later in pairwise(chain)
        ],
    }

    svg = ET.fromstring(family_svg(family))

    assert len(_members(svg)) == MAX_DRAWN
    assert chain[0] in _members(svg)
    heading = _texts(svg)[0]
    assert re.search(rf"{len(chain)} applications \(the {MAX_DRAWN} nearest shown\)", heading)


def _member(commitment: str, office: str, day: str) -> dict[str, Any]:
    return {
        "commitment": commitment,
        "anchored": True,
        "ipOfficeCode": office,
        "filingDate": day,
        "ipRightKind": "patent",
        "applicationNumber": None,
    }


def test_an_arrow_whose_claimed_date_differs_from_the_anchored_date_is_red_and_says_so() -> None:
    a, b = "0x" + "0a" * 32, "0x" + "0b" * 32
    family = {
        "commitment": b,
        "extendedFamily": [_member(a, "JP", "2017-09-27"), _member(b, "US", "2018-09-06")],
        "links": [{"from": b, "to": a, "claimedFilingDate": "2017-09-28"}],
    }

    (link,) = _links(ET.fromstring(family_svg(family)))

    path = link.find(f"{SVG}path")
    assert path is not None
    assert path.attrib["marker-end"] == "url(#prio-arrow-warn)"
    assert _texts(link) == ["≠ 2017-09-28"]
    assert "differs from the anchored filing date 2017-09-27" in link.attrib["aria-label"]


def test_an_application_without_links_is_drawn_alone() -> None:
    a = "0x" + "0c" * 32

    svg = ET.fromstring(family_svg({"commitment": a, "extendedFamily": [_member(a, "EP", "2019-01-02")], "links": []}))

    assert list(_members(svg)) == [a]
    assert _links(svg) == []
    assert "1 application" in _texts(svg)[0]
