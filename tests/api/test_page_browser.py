"""The examiner's page in a real browser: headless Chromium (Debian's) driving ``GET /`` over HTTP.

The whole app runs under uvicorn on a free loopback port, over a fresh embedded chain; a Japanese
first filing and a US application claiming it are anchored through the API, then an examiner's
session is played with the keyboard alone: tab into the form, type the claim, submit, read the
verdict, the checks and the family picture; then mistype the access code and read the error beside
the field. Then every claim of an application is checked in one call and a checked claim's record is printed:
Chromium emulates print media (the forms and navigation gone, the record's fields there) and prints it to PDF.
Screenshots and the PDF go to ``test-output/`` (gitignored) for a person to look at.

Chromium comes from Debian (``apt-get install chromium``), driven by Playwright for Python with
``executable_path``: Playwright's own browser download cannot work here (docs/design.md#dependencies). When the
browser or Playwright is missing the tests skip with the reason — except under ``CI``, where they
fail: CI must never pass by silently skipping the browser.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import httpx
import pytest
import uvicorn

from api.app import create_app
from api.auth import TokenStore
from api.gateway import install_gateway_requests
from tests.api.conftest import OFFICES, build_service
from tests.api.helpers import fresh_access_code

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page

pytestmark = pytest.mark.browser

CHROMIUM = Path(os.environ.get("PRIOREG_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
OUTPUT = Path(__file__).resolve().parents[2] / "test-output"

JP_NUMBER, JP_DATE = "2017-187096", "2017-09-27"
US_NUMBER, US_DATE = "16/123,456", "2018-09-06"
JP2_NUMBER, JP2_DATE = "2017-187200", "2017-10-02"
JP3_NUMBER, JP3_DATE = "2017-187300", "2017-10-03"
PENDING_CODE = fresh_access_code()  # nothing is anchored under it
REPORT_TEXT = "JPO search report, JP 2017-187096: D1 JP2015-012345 A (X, claims 1-3)."


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run the browser tests, not skip them")
    pytest.skip(reason)


@dataclass(frozen=True)
class Site:
    """The running app, and what was anchored on it."""

    url: str
    jp_access_code: str
    jp_commitment: str
    us_commitment: str
    cn_commitment: str
    tokens: dict[str, str]
    package: bytes  # a priority-document package of JP3 (R26), as the EPO retrieved it


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    service = build_service()
    store = TokenStore()
    tokens = {office: store.issue(office) for office in OFFICES}
    # Bound here (port 0: the OS picks a free one) and handed to uvicorn, so no other process can take it between.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_app(service, store)
    install_gateway_requests(app, service, None)  # the report routes, as `prioreg serve` installs them
    config = uvicorn.Config(app, log_level="warning", ws="none", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the app did not start under uvicorn")
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=url, timeout=60) as client:
            jp = _anchor(
                client,
                tokens["JP"],
                {"applicationNumber": JP_NUMBER, "filingDate": JP_DATE, "ipRightKind": "patent"},
            )
            claim = {
                "ipOfficeCode": "JP",
                "applicationNumber": JP_NUMBER,
                "filingDate": JP_DATE,
                "accessCode": jp["accessCode"],
            }
            us = _anchor(
                client,
                tokens["US"],
                {
                    "applicationNumber": US_NUMBER,
                    "filingDate": US_DATE,
                    "ipRightKind": "patent",
                    "priorityClaims": [claim],
                },
            )
            # A family of its own (the picture above stays JP ← US): CN claims a second JP filing, and one
            # whose office has not anchored it yet.
            jp2 = _anchor(
                client, tokens["JP"], {"applicationNumber": JP2_NUMBER, "filingDate": JP2_DATE, "ipRightKind": "patent"}
            )
            cn = _anchor(
                client,
                tokens["CN"],
                {
                    "applicationNumber": "201810601862",
                    "filingDate": "2018-09-20",
                    "ipRightKind": "patent",
                    "priorityClaims": [
                        {
                            **claim,
                            "applicationNumber": JP2_NUMBER,
                            "filingDate": JP2_DATE,
                            "accessCode": jp2["accessCode"],
                        },
                        {
                            **claim,
                            "applicationNumber": "2017-200001",
                            "filingDate": "2017-10-05",
                            "accessCode": PENDING_CODE,
                        },
                    ],
                },
            )
            # R15: the JPO shares a search report of its first filing (the US claim on it is confirmed by the
            # JPO's gateway as it syncs: docs/spec/entries.md#claim-tokens-and-confirmed-links).
            service.sync()
            report = client.post(
                f"/v1/applications/{jp['commitment']}/reports",
                files={"file": ("search-report.txt", REPORT_TEXT.encode(), "text/plain")},
                data={"kind": "searchReport", "issued": "2018-05-10"},
                headers={"Authorization": f"Bearer {tokens['JP']}"},
            )
            assert report.status_code == 201, report.text
            package = _package(client, tokens)
        yield Site(url, jp["accessCode"], jp["commitment"], us["commitment"], cn["commitment"], tokens, package)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def _package(client: httpx.Client, tokens: dict[str, str]) -> bytes:
    """R26: the JPO builds the priority document of a third filing; the EPO retrieves it with the applicant's code."""
    jp3 = _anchor(
        client, tokens["JP"], {"applicationNumber": JP3_NUMBER, "filingDate": JP3_DATE, "ipRightKind": "patent"}
    )
    created = client.post(
        f"/v1/applications/{jp3['commitment']}/priority-document",
        files={"file": ("application.pdf", b"%PDF-1.7 JP 2017-187300 as filed", "application/pdf")},
        data={"applicationNumber": JP3_NUMBER, "accessCode": jp3["accessCode"]},
        headers={"Authorization": f"Bearer {tokens['JP']}"},
    )
    assert created.status_code == 201, created.text
    asked = {
        "ipOfficeCode": "JP",
        "applicationNumber": JP3_NUMBER,
        "filingDate": JP3_DATE,
        "accessCode": jp3["accessCode"],
    }
    retrieved = client.post(
        "/v1/priority-documents/retrieve", json=asked, headers={"Authorization": f"Bearer {tokens['EP']}"}
    )
    assert retrieved.status_code == 200, retrieved.text
    return retrieved.content


def _anchor(client: httpx.Client, token: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/v1/filings", json=body, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.is_file():
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: Browser, site: Site) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        # Chromium logs every 4xx answer; a 422 is the API refusing a mistyped field, shown on the page.
        # A 404 is an office outside a family asking for its reports (the answer an unknown application gets), a 401
        # a token the page was given wrong: both shown on the page.
        refused = ("status of 422", "status of 404", "status of 401")
        if message.type == "error" and not any(status in message.text for status in refused):
            problems.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    # Anything that leaves this server (a CDN, a web font) would fail here: there is no network.
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(site.url) else route.abort())
    page.goto(site.url + "/")
    yield page
    context.close()
    assert problems == [], f"the page logged errors: {problems}"


def _screenshot(page: Page, name: str) -> None:
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / name), full_page=True)


def _focused(page: Page) -> str:
    name: str = page.evaluate("document.activeElement.name || document.activeElement.id")
    return name


def _type_into_next_field(page: Page, expected: str, text: str) -> None:
    """Tab to the next field, check it is the one an examiner expects there, type ``text``."""
    page.keyboard.press("Tab")
    assert _focused(page) == expected
    if text:
        page.keyboard.type(text)


def _fill_claim_with_the_keyboard(page: Page, access_code: str) -> None:
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the form"
    page.keyboard.press("Enter")
    _type_into_next_field(page, "priority.ipOfficeCode", "JP")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid", "the focused field shows no focus ring"
    _type_into_next_field(page, "priority.applicationNumber", JP_NUMBER)
    _type_into_next_field(page, "priority.filingDate", JP_DATE)
    _type_into_next_field(page, "priority.accessCode", access_code)
    _type_into_next_field(page, "later.ipOfficeCode", "US")
    _type_into_next_field(page, "later.filingDate", US_DATE)
    _type_into_next_field(page, "later.ipRightKind", "")  # "Patent" is already chosen
    _type_into_next_field(page, "later.applicationNumber", "")  # optional: a PCT number picks the RO calendar
    _type_into_next_field(page, "later.parentFilingDate", "")  # not a divisional


def test_an_examiner_verifies_a_claim_with_the_keyboard_and_sees_verdict_checks_and_family(
    page: Page, site: Site
) -> None:
    _fill_claim_with_the_keyboard(page, site.jp_access_code)
    page.keyboard.press("Tab")
    assert _focused(page) == "verify-button"
    page.keyboard.press("Enter")

    verdict = page.locator("#result [data-verdict]")
    verdict.wait_for()
    assert verdict.get_attribute("data-verdict") == "valid"
    assert verdict.inner_text().startswith("Valid")
    assert page.locator("#result").get_attribute("aria-live") == "polite"
    checks = page.locator("#result tr.check")
    names = [checks.nth(i).get_attribute("data-check") for i in range(checks.count())]
    assert {"registered", "filingDateMatches", "ipRightKindCompatible", "withinPriorityPeriod"} <= set(names)
    assert all("passed" in checks.nth(i).inner_text() for i in range(checks.count()))
    period = page.locator('#result [data-field="priorityPeriodEnd"] dd').inner_text()
    assert period == "2018-09-27"  # twelve months from the Japanese filing date
    assert site.jp_commitment in page.locator("#result").inner_text()

    picture = page.locator("#family svg")
    picture.wait_for(state="visible")
    boxes = picture.locator("g.member")
    assert boxes.count() == 2
    assert "JP · patent" in (picture.text_content() or "")
    assert picture.bounding_box() is not None
    _screenshot(page, "examiner-page-valid.png")


def test_a_mistyped_access_code_is_shown_beside_the_access_code_field(page: Page, site: Site) -> None:
    first = "7" if site.jp_access_code[0] != "7" else "8"
    mistyped = first + site.jp_access_code[1:]
    _fill_claim_with_the_keyboard(page, mistyped)
    for _ in range(3):  # back over the later number and the kind select to the later filing date
        page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")  # Enter in a text field submits the form

    error = page.locator("#priority-accessCode-error")
    error.wait_for(state="visible")
    assert error.inner_text() == "The access code's check character does not match: a character is mistyped"
    field = page.get_by_label("Access code")
    assert field.get_attribute("aria-invalid") == "true"
    assert _focused(page) == "priority.accessCode"
    assert page.locator("#result [data-verdict]").count() == 0
    assert "correct the access code above" in page.locator("#result").inner_text()
    _screenshot(page, "examiner-page-mistyped-access-code.png")


def test_an_empty_form_names_each_missing_field_without_asking_the_registry(page: Page) -> None:
    page.get_by_role("button", name="Verify claim").press("Enter")

    assert page.locator(".error:visible").count() == 6
    assert page.locator("#priority-ipOfficeCode-error").inner_text() == "Enter the office of first filing."
    assert _focused(page) == "priority.ipOfficeCode"


def test_the_page_loads_nothing_from_outside_this_server(page: Page, site: Site) -> None:
    with httpx.Client(base_url=site.url) as client:
        response = client.get("/")

    assert response.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert "http://" not in response.text.replace(site.url, "")
    assert "https://" not in response.text
    assert page.title() == "Verify a priority claim · Priority registry"


def _verify_on_the_page(page: Page, site: Site) -> None:
    _fill_claim_with_the_keyboard(page, site.jp_access_code)
    page.get_by_role("button", name="Verify claim").click()
    page.locator("#result [data-verdict]").wait_for()


def _field_text(page: Page, key: str) -> str:
    text: str = page.locator(f'#record [data-field="{key}"] dd').inner_text()
    return text


EVIDENCE_FIELDS = ("chainId", "contract", "blockNumber", "headBlock", "blockHash", "transactionHash", "batchRoot")


def test_an_examiner_checks_every_claim_of_an_application_in_one_table(page: Page, site: Site) -> None:
    page.get_by_role("link", name="Check every claim of an application").click()
    page.get_by_label("Commitment of the application").fill(site.cn_commitment)
    page.get_by_role("button", name="Check every claim").click()

    rows = page.locator("#all-claims-table tbody tr")
    rows.first.wait_for()
    assert [rows.nth(i).get_attribute("data-verdict") for i in range(rows.count())] == ["valid", "notFound"]
    headers = page.locator("#all-claims-table thead th[scope=col]")
    assert headers.all_inner_texts()[:5] == ["#", "Earlier application", "Claimed filing date", "Withdrawn", "Verdict"]
    assert page.locator("#all-claims-table tbody th[scope=row]").all_inner_texts() == ["1", "2"]
    assert "Registered on the ledger (passed)" in rows.nth(0).inner_text()
    assert "Registered on the ledger (failed)" in rows.nth(1).inner_text()
    assert "Within the priority period (passed)" in rows.nth(0).inner_text()
    assert page.locator("#all-claims-table caption").inner_text().endswith("1 valid, 1 not found.")
    _screenshot(page, "examiner-page-every-claim.png")

    # A row opens its claim's record: not anchored yet, so no evidence ("—") and no restoration route.
    rows.nth(1).get_by_role("button").click()
    assert page.locator("#record [data-verdict]").get_attribute("data-verdict") == "notFound"
    assert _field_text(page, "later.commitment") == site.cn_commitment
    assert all(_field_text(page, key) == "—" for key in (*EVIDENCE_FIELDS, "rulesVersion"))

    # An application without claims says so.
    page.get_by_label("Commitment of the application").fill(site.jp_commitment)
    page.get_by_role("button", name="Check every claim").click()
    page.locator("#no-claims").wait_for()


def test_a_checked_claim_prints_as_a_record_with_its_checks_and_evidence(page: Page, site: Site) -> None:
    _verify_on_the_page(page, site)
    # Check every claim of the later application too: the table comes below, the record stays the verified claim's.
    page.get_by_label("Commitment of the application").fill(site.us_commitment)
    page.get_by_role("button", name="Check every claim").click()
    page.locator("#all-claims-table tbody tr").first.wait_for()
    assert page.locator("#all-claims-table tbody tr").get_attribute("data-verdict") == "valid"

    record = page.locator("#record")
    assert _field_text(page, "priority.applicationNumber") == JP_NUMBER
    assert _field_text(page, "later.filingDate") == US_DATE
    assert site.jp_access_code not in record.inner_text()  # the secret is never part of the record
    for key in ("chainId", "contract", "blockNumber", "headBlock", "blockHash", "transactionHash", "rulesVersion"):
        assert _field_text(page, key) not in ("", "—"), key  # the ledger evidence of a registered claim
    assert _field_text(page, "blockHash").startswith("0x") and _field_text(page, "rulesVersion").count("+") == 1
    for key in ("batchRoot", "proof", "entry", "restoration.rule"):
        assert _field_text(page, key), key  # a stored record: no batch ("—")

    # The button prints (window.print, stubbed here: a headless browser has no print dialog).
    page.evaluate("window.print = () => { window.printed = true; }")
    page.get_by_role("button", name="Print record").click()
    assert page.evaluate("window.printed") is True

    page.emulate_media(media="print")
    for hidden in ("#claim-form", ".masthead", ".site-nav", "#all-claims", ".footer", "#print-button", "#family", "h1"):
        assert not page.locator(hidden).first.is_visible(), f"{hidden} shows in the printed record"
    for shown in (".record-title", "#verdict", "#claim", "table.checks", "#restoration", "#evidence", "#rules-version"):
        assert page.locator(f"#record {shown}").is_visible(), f"{shown} is missing from the printed record"
    printed = record.inner_text()
    assert "Priority claim verification record" in printed and "Valid" in printed
    checks = page.locator("#record tr.check")
    assert {"registered", "filingDateMatches", "withinPriorityPeriod"} <= {
        checks.nth(i).get_attribute("data-check") for i in range(checks.count())
    }
    _screenshot(page, "examiner-record-print.png")
    OUTPUT.mkdir(exist_ok=True)
    pdf = page.pdf(path=str(OUTPUT / "examiner-record.pdf"), format="A4", print_background=True)
    assert pdf.startswith(b"%PDF-") and len(pdf) > 10_000


def test_an_office_reads_the_reports_of_its_family_and_an_outsider_cannot(page: Page, site: Site) -> None:
    """Issue 16 item 3: the family's reports, who wrote them and when, with the office's own token (R15)."""
    office = page.locator("#office-form")
    token = office.get_by_label("Office API token")
    assert token.get_attribute("type") == "password"  # a secret: never shown, never stored
    token.fill(site.tokens["US"])
    office.get_by_label("Commitment of an application in the family").fill(site.us_commitment)
    page.get_by_role("button", name="Show the family's reports").click()
    row = page.locator("#reports-table tbody tr")
    row.first.wait_for()
    assert row.count() == 1
    assert row.locator("th").inner_text() == "Search report"
    assert row.locator("[data-field=ipOfficeCode]").inner_text() == "JP"
    assert row.locator("[data-field=issued]").inner_text() == "2018-05-10"
    with page.expect_download() as download:
        row.get_by_role("button").click()
    assert Path(download.value.path()).read_text(encoding="utf-8") == REPORT_TEXT
    _screenshot(page, "examiner-page-family-reports.png")
    assert page.evaluate("Object.keys(localStorage).length + Object.keys(sessionStorage).length") == 0

    # The CNIPA's application is in another family: the answer an unknown application gets.
    token.fill(site.tokens["CN"])
    office.get_by_label("Commitment of an application in the family").fill(site.jp_commitment)
    page.get_by_role("button", name="Show the family's reports").click()
    alert = page.locator("#office-result [role=alert]")
    alert.wait_for()
    assert "no application is anchored or claimed under commitment" in alert.inner_text()
    assert page.locator("#reports-table").count() == 0

    # The office's notifications: the USPTO was told when the JPO's report was added to its family.
    token.fill(site.tokens["US"])
    page.get_by_role("button", name="Show my notifications").click()
    told = page.locator("#notifications-table tbody tr")
    told.first.wait_for()
    kinds = [told.nth(i).get_attribute("data-kind") for i in range(told.count())]
    assert "reportAdded" in kinds and "familyMemberAdded" in kinds, kinds

    # A token that is not this gateway's: 401, said as such.
    token.fill("not-a-token")
    page.get_by_role("button", name="Show the family's reports").click()
    page.get_by_text("Check the token").wait_for()


def test_an_examiner_checks_a_priority_document_package(page: Page, site: Site, tmp_path: Path) -> None:
    """Issue 20 item 4: a package file in, every check, its version and whether it is current out (R26)."""
    package = tmp_path / "priority-document.zip"
    package.write_bytes(site.package)
    form = page.locator("#package-form")
    form.get_by_label("Package file").set_input_files(str(package))
    page.get_by_role("button", name="Check the package").click()
    verdict = page.locator("#package-verdict")
    verdict.wait_for()
    assert verdict.get_attribute("data-valid") == "true" and verdict.get_attribute("data-current") == "true"
    assert "current version" in verdict.inner_text()
    checks = page.locator("#package-checks tbody tr")
    names = [checks.nth(i).get_attribute("data-check") for i in range(checks.count())]
    assert names == [
        "archiveWellFormed",
        "filesMatchManifest",
        "manifestCanonical",
        "signedByOfficeKeyAtVersion",
        "anchoredOnLedger",
        "isCurrentVersion",
    ]
    assert all(checks.nth(i).get_attribute("data-passed") == "true" for i in range(checks.count()))
    assert page.locator("#package-result [data-field=version]").inner_text() == "2"
    _screenshot(page, "examiner-page-package.png")

    # Not a package: the registry's 422, shown on the page.
    package.write_bytes(b"PK not a zip at all")
    form.get_by_label("Package file").set_input_files(str(package))
    page.get_by_role("button", name="Check the package").click()
    alert = page.locator("#package-result [role=alert]")
    alert.wait_for()
    assert alert.inner_text()
