"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc), served with no host but this gateway (issue 19 item 2).

FastAPI's own pages load Swagger UI, ReDoc and Google Fonts from public CDNs: on an office intranet
(or any machine without internet) they are blank. Here the same pages are built with FastAPI's
``get_swagger_ui_html`` / ``get_redoc_html`` pointed at the JavaScript, CSS and favicon that the
``fastapi-offline`` package ships (Swagger UI 5 and ReDoc 2 dist files, MIT), mounted under
:data:`ASSETS_URL`: installed with the gateway, never fetched at run time. ReDoc's web fonts are
turned off (``with_google_fonts=False``: it falls back to the system's fonts), and Swagger UI's
online validator badge is off (``validatorUrl: null``), because either would call out.

Every URL in the pages is relative to the ASGI ``root_path``, so the pages also work behind a
reverse proxy that mounts the gateway under a prefix (docs/operations.md).
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["ASSETS_DIR", "ASSETS_URL", "CONTENT_SECURITY_POLICY", "install_docs"]

#: Where the docs' assets are served.
ASSETS_URL = "/static/docs"
#: The dist files the ``fastapi-offline`` package ships (swagger-ui-bundle.js, swagger-ui.css,
#: redoc.standalone.js, favicon.png).
ASSETS_DIR = Path(fastapi_offline.__file__).resolve().parent / "static"

#: Nothing that would call another host: no validator badge (validator.swagger.io).
_SWAGGER_PARAMETERS = {"validatorUrl": None, "deepLinking": True}

#: Only this origin, said to the browser as well. ReDoc's side menu always shows a "by Redocly" logo
#: from cdn.redoc.ly: the policy stops that request before it is made (the logo hides itself when it
#: does not load). Inline script and style: FastAPI's Swagger UI page starts the bundle with an
#: inline script, and both bundles style with injected <style> elements; ReDoc runs a blob: worker.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline';"
    " img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:;"
    " base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def install_docs(app: FastAPI, *, docs_url: str = "/docs", redoc_url: str = "/redoc") -> None:
    """Add the two documentation pages and their assets to ``app`` (built with ``docs_url=None``
    and ``redoc_url=None``, so FastAPI's CDN pages are not there as well)."""
    openapi_url = app.openapi_url or "/openapi.json"
    title = app.title
    # Mounted before the app's own /static mount, so that this more specific prefix wins. StaticFiles
    # checks the directory now: a broken install fails at start, not with a blank page later.
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="docs-assets")

    @app.get(docs_url, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        page = get_swagger_ui_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{title} — Swagger UI",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            swagger_ui_parameters=_SWAGGER_PARAMETERS,
        )
        page.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        return page

    @app.get(redoc_url, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        page = get_redoc_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{title} — ReDoc",
            redoc_js_url=f"{root}{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )
        page.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        return page
