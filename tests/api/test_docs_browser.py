"""``/docs`` and ``/redoc`` in a real browser, with no host but the gateway (issue 19 item 2).

The app runs under uvicorn on a loopback port; Debian's Chromium (Playwright, ``executable_path``,
the flags of docs/design.md#dependencies) opens each page. Every request the browser makes is recorded and let
through, so a page that reached for a CDN or a web font would be caught by URL here (and would fail
anyway: this machine has no internet). The pages must render the operations, read from
``/openapi.json``: the block of ``POST /v1/priority-claims/verify`` in Swagger UI, its summary in
ReDoc's menu.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest
import uvicorn
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import TokenStore
from tests.api.conftest import build_service
from tests.api.test_page_browser import CHROMIUM, CHROMIUM_ARGS, OUTPUT, _unavailable

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page, Request

pytestmark = pytest.mark.browser

REDOCLY_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@pytest.fixture(scope="module")
def gateway_url() -> Iterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(build_service(("JP", "US")), TokenStore()), log_level="warning", ws="none", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="uvicorn-docs", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the app did not start under uvicorn")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


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


@dataclass
class Visit:
    """What a page did: every request it started, those its Content-Security-Policy refused (never
    sent), and the errors it logged or threw."""

    page: Page
    requests: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def assert_only_local(self, base: str) -> None:
        # blob: URLs of this origin are objects the page made itself (ReDoc's worker), not requests out.
        local = (base + "/", f"blob:{base}/", "data:")
        outside = [url for url in self.requests if not url.startswith(local) and url not in self.refused]
        assert outside == [], f"the page reached beyond the gateway: {outside}"
        # The one thing the policy stops is ReDoc's "by Redocly" logo (api/docs.py); anything else is news.
        assert set(self.refused) <= {REDOCLY_LOGO}, self.refused
        assert self.problems == [], self.problems


def _open(browser: Browser, url: str) -> Visit:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    visit = Visit(context.new_page())

    def on_failed(request: Request) -> None:
        if request.failure == "csp":  # blocked in the browser before it was sent
            visit.refused.append(request.url)
        else:
            visit.problems.append(f"request failed: {request.url} ({request.failure})")

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and "Content Security Policy" not in message.text:  # those: on_failed
            visit.problems.append(message.text)

    visit.page.on("request", lambda request: visit.requests.append(request.url))
    visit.page.on("requestfailed", on_failed)
    visit.page.on("pageerror", lambda error: visit.problems.append(str(error)))
    visit.page.on("console", on_console)
    visit.page.goto(url)
    return visit


def test_swagger_ui_renders_the_operations_from_the_gateway_alone(browser: Browser, gateway_url: str) -> None:
    visit = _open(browser, gateway_url + "/docs")
    page = visit.page
    block = page.locator(".opblock-post", has_text="/v1/priority-claims/verify").first
    block.wait_for(state="visible", timeout=30_000)
    assert page.locator(".opblock").count() >= 10  # every operation of the API, not a stub page
    assert "Priority registry" in page.locator(".info .title").inner_text()
    block.locator(".opblock-summary").click()  # opening it shows the request body's schema
    page.locator(".opblock-post.is-open .opblock-body").first.wait_for(state="visible", timeout=10_000)
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "docs-swagger-ui.png"))
    page.context.close()
    assert any(url.endswith("/static/docs/swagger-ui-bundle.js") for url in visit.requests)
    assert any(url.endswith("/openapi.json") for url in visit.requests)
    visit.assert_only_local(gateway_url)


def test_redoc_renders_the_operations_from_the_gateway_alone(browser: Browser, gateway_url: str) -> None:
    visit = _open(browser, gateway_url + "/redoc")
    page = visit.page
    # ReDoc shows the path in each operation's panel: wait for the one of the verify endpoint.
    page.get_by_text("/v1/priority-claims/verify", exact=False).first.wait_for(state="attached", timeout=30_000)
    assert page.locator("li[data-item-id]").count() >= 10
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "docs-redoc.png"))
    page.context.close()
    assert any(url.endswith("/static/docs/redoc.standalone.js") for url in visit.requests)
    assert any(url.endswith("/openapi.json") for url in visit.requests)
    visit.assert_only_local(gateway_url)


def test_the_pages_name_no_other_host() -> None:
    """The HTML itself points only at this gateway (a CDN link would break offline before any JS
    runs), and the assets it names are served."""
    client = TestClient(create_app(build_service(("JP",)), TokenStore(), follow_index=False))
    for path in ("/docs", "/redoc"):
        answer = client.get(path)
        assert answer.status_code == 200
        assert answer.headers["content-security-policy"].startswith("default-src 'none'")
        for host in ("cdn.jsdelivr.net", "fonts.googleapis.com", "unpkg.com", "tiangolo.com"):
            assert host not in answer.text
        assert "/static/docs/" in answer.text
    for name in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.png"):
        asset = client.get(f"/static/docs/{name}")
        assert asset.status_code == 200 and len(asset.content) > 1000, name
