"""``GET /``: the examiner's page — verify one priority claim and see the family, in a browser.

Server-rendered HTML with no build step: the form is plain HTML that works with the keyboard alone
(every input has a bound label and a hint, the tab order follows the claim as an examiner reads it,
focus is always visible), and one small static script (``api/static/page.js``) sends it to the JSON
API (``POST /v1/priority-claims/verify``), shows the verdict, the checks, the periods and the
registered record in an ``aria-live`` region, draws the family from
``GET /v1/families/{commitment}.svg``, and puts each 422 detail next to the field its ``target``
names. The page needs nothing from outside this server: no CDN, no web font, and a
Content-Security-Policy that allows only this origin says so to the browser as well.

Fields are named exactly as the API's error targets (``priority.accessCode``, ``later.filingDate``…),
so an error finds its field without a mapping table that could drift.

Below it, "check every claim of this application": a commitment in, a table out of every claim the application made
with its verdict and checks (``GET /v1/applications/{commitment}/priority-claims``, docs/api.md#other-bodies), and
each row opens that claim's record. A checked claim is shown as a **record** an examiner can file
(docs/api.md#evidence: "the examiner's page prints the evidence as a record"): the claim, the verdict and every check,
the restoration route, the ledger evidence and the rules version, with a "Print record" button; the print style sheet
(``@media print`` in ``api/static/page.css``) leaves out the forms, the navigation and the picture and prints only
the record. The access code is never part of the record.

Last, **for offices** (R15, docs/api.md#work-sharing-in-the-family and #notifications): with the office's API token
(typed into a password field, kept in the page's memory only, sent as ``Authorization: Bearer`` and never stored),
the reports of an application's family — who wrote each, which kind, when it was issued, and the file, fetched
through this gateway and checked against the ledger — and the office's notifications
(``api/static/office.js``).

And **check a priority-document package** (R26, docs/api.md#priority-documents): a package file chosen in the page is
sent to ``POST /v1/priority-documents/verify`` (with the access code, when given, to check the number too); every
check of docs/spec/packages.md#checks is listed, with the package's version and whether it is the application's
current one (``api/static/package.js``).
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from api.deps import Service
from registry.errors import RegistryError

__all__ = ["CONTENT_SECURITY_POLICY", "router"]

router = APIRouter(tags=["examiner page"])

#: Only this origin: the page's own script, style, API calls and pictures. No inline script at all.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self';"
    " base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

_KINDS = (
    ("patent", "Patent"),
    ("utilityModel", "Utility model"),
    ("design", "Industrial design"),
    ("trademark", "Trademark"),
)


def _field(name: str, label: str, hint: str, *, attrs: str = "", mono: bool = False, kind: str = "text") -> str:
    """One labelled input (``kind``: text, password, file) with its hint and an (empty) error slot, both tied to it for
    screen readers."""
    ident = name.replace(".", "-")
    cls = ' class="mono"' if mono else ""
    return f"""
      <div class="field" data-field="{name}">
        <label for="{ident}">{escape(label)}</label>
        <p class="hint" id="{ident}-hint">{escape(hint)}</p>
        <input id="{ident}" name="{name}" type="{kind}" aria-describedby="{ident}-hint {ident}-error"{cls} {attrs}>
        <p class="error" id="{ident}-error" hidden></p>
      </div>"""


def _kind_select(name: str, label: str) -> str:
    ident = name.replace(".", "-")
    options = "".join(f'<option value="{value}">{escape(text)}</option>' for value, text in _KINDS)
    return f"""
      <div class="field" data-field="{name}">
        <label for="{ident}">{escape(label)}</label>
        <p class="hint" id="{ident}-hint">Sets the priority period: 12 months for patents and utility models,
          6 for designs and trademarks.</p>
        <select id="{ident}" name="{name}" aria-describedby="{ident}-hint {ident}-error">{options}</select>
        <p class="error" id="{ident}-error" hidden></p>
      </div>"""


def render_page(offices: list[str]) -> str:
    """The page's HTML; ``offices`` fill the suggestions of the two office fields."""
    office_attrs = (
        'maxlength="2" autocomplete="off" autocapitalize="characters" spellcheck="false" list="offices" required'
    )
    date_attrs = 'inputmode="numeric" maxlength="10" placeholder="YYYY-MM-DD" autocomplete="off" required'
    suggestions = "".join(f'<option value="{escape(code)}"></option>' for code in offices)
    earlier = "".join(
        (
            _field(
                "priority.ipOfficeCode", "Office of first filing", "Two-letter ST.3 code, e.g. JP.", attrs=office_attrs
            ),
            _field(
                "priority.applicationNumber",
                "Application number",
                "As written in the claim, e.g. 2017-187096 or EP 18 123 456.8.",
                attrs='autocomplete="off" spellcheck="false" maxlength="64" required',
            ),
            _field("priority.filingDate", "Filing date", "As claimed, YYYY-MM-DD.", attrs=date_attrs),
            _field(
                "priority.accessCode",
                "Access code",
                "From the applicant, e.g. 7JEY-NFRJ-JK7B-DJF3-1. The last character is a check: a typo is caught here.",
                attrs='autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength="40" required',
                mono=True,
            ),
        )
    )
    later = "".join(
        (
            _field(
                "later.ipOfficeCode",
                "Office of second filing",
                "Your office; its closing days extend the period.",
                attrs=office_attrs,
            ),
            _field(
                "later.filingDate", "Filing date", "Of the application under examination, YYYY-MM-DD.", attrs=date_attrs
            ),
            _kind_select("later.ipRightKind", "Kind of right"),
            _field(
                "later.applicationNumber",
                "Application number (optional)",
                "As written; a PCT number (PCT/EP2024/012345) is judged on its receiving Office's calendar.",
                attrs='autocomplete="off" spellcheck="false" maxlength="64"',
            ),
            _field(
                "later.parentFilingDate",
                "Parent filing date (optional)",
                "Only for a divisional or continuation: the filing date of the first application in the chain"
                " that carried the claim.",
                attrs='inputmode="numeric" maxlength="10" placeholder="YYYY-MM-DD" autocomplete="off"',
            ),
        )
    )
    all_fields = "".join(
        (
            _field(
                "commitment",
                "Commitment of the application",
                "0x and 64 hex digits, e.g. 0x80e07c0a…a84b.",
                attrs='autocomplete="off" spellcheck="false" maxlength="66" required',
                mono=True,
            ),
            _field(
                "ipOfficeCode",
                "Office of the record (optional)",
                "Only when several offices hold a record under the same commitment; default: the first anchored.",
                attrs='maxlength="2" autocomplete="off" autocapitalize="characters" spellcheck="false" list="offices"',
            ),
        )
    )
    office_fields = "".join(
        (
            _field(
                "token",
                "Office API token",
                "Your office's token for this gateway (prioreg tokens create). Kept in this page only, never stored.",
                attrs='autocomplete="off" spellcheck="false" maxlength="200"',
                mono=True,
                kind="password",
            ),
            _field(
                "familyCommitment",
                "Commitment of an application in the family",
                "0x and 64 hex digits: any member of the family, your own record or one it claims.",
                attrs='autocomplete="off" spellcheck="false" maxlength="66"',
                mono=True,
            ),
        )
    )
    package_fields = "".join(
        (
            _field(
                "file",
                "Package file",
                "The priority document as received: a .zip of at most 65 MB.",
                attrs='accept=".zip,application/zip" required',
                kind="file",
            ),
            _field(
                "packageAccessCode",
                "The applicant's code (optional)",
                "From the applicant: then the application number in the package is checked against its commitment too.",
                attrs='autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength="40"',
                mono=True,
            ),
        )
    )
    return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Verify a priority claim · Priority registry</title>
  <link rel="stylesheet" href="/static/page.css">
  <script src="/static/page.js" defer></script>
  <script src="/static/office.js" defer></script>
  <script src="/static/package.js" defer></script>
</head>
<body>
  <a class="skip-link" href="#claim-form">Skip to the form</a>
  <header class="masthead">
    <div class="wrap">
      <p class="brand">Priority registry</p>
      <p class="tagline">A shared register of application numbers and priority claims</p>
      <nav class="site-nav" aria-label="On this page">
        <a href="#claim-form">Verify a claim</a>
        <a href="#all-claims">Check every claim of an application</a>
        <a href="#package">Check a priority-document package</a>
        <a href="#office">For offices: reports and notifications</a>
      </nav>
    </div>
  </header>
  <main class="wrap">
    <h1>Verify a priority claim</h1>
    <p class="lede">Enter the earlier application as the applicant names it in the claim, with the access code the
      first office issued, and the later application you are examining. The answer comes from the ledger alone;
      a wrong access code and an unregistered application look the same.</p>
    <noscript><p class="notice">This page needs JavaScript to ask the registry. The same check is
      <code>POST /v1/priority-claims/verify</code>, described at <a href="/docs">/docs</a>.</p></noscript>
    <form id="claim-form" novalidate>
      <div class="panels">
        <fieldset>
          <legend>Earlier application <span class="legend-note">the priority claimed</span></legend>{earlier}
        </fieldset>
        <fieldset>
          <legend>Later application <span class="legend-note">under examination</span></legend>{later}
        </fieldset>
      </div>
      <datalist id="offices">{suggestions}</datalist>
      <div class="actions">
        <button type="submit" id="verify-button">Verify claim</button>
        <p class="form-message" id="form-message" hidden></p>
      </div>
    </form>
    <section id="result" class="result" aria-live="polite" aria-labelledby="result-heading" tabindex="-1">
      <h2 id="result-heading" class="visually-hidden">Result</h2>
    </section>
    <section id="all-claims" class="all-claims" aria-labelledby="all-claims-heading">
      <h2 id="all-claims-heading">Check every claim of an application</h2>
      <p class="lede">Enter the commitment of the application under examination (from its record or from the family
        picture). Every priority claim it made is checked against the ledger, withdrawn ones too; no access code is
        needed, since the ledger names each earlier application by its commitment.</p>
      <form id="all-claims-form" novalidate>{all_fields}
        <div class="actions">
          <button type="submit" id="all-claims-button">Check every claim</button>
        </div>
      </form>
      <div id="all-claims-result" class="result" aria-live="polite"></div>
    </section>
    <section id="package" class="package" aria-labelledby="package-heading">
      <h2 id="package-heading">Check a priority-document package</h2>
      <p class="lede">A priority document from the office of first filing is a signed package (a ZIP file). Choose it
        here: it is checked against the ledger alone — its files, its manifest, the office's key when its version was
        anchored — and you see whether it is still the application's current version.</p>
      <form id="package-form" novalidate>{package_fields}
        <div class="actions">
          <button type="submit" id="package-button">Check the package</button>
        </div>
      </form>
      <div id="package-result" class="result" aria-live="polite"></div>
    </section>
    <section id="office" class="office" aria-labelledby="office-heading">
      <h2 id="office-heading">For offices: the family's reports and your notifications</h2>
      <p class="lede">Offices holding applications of one family may read each other's search and examination reports
        before anything is published (WIPO recommendation R15). Sign in with your office's token to list the reports
        of a family and to see what happened in the families of your applications.</p>
      <form id="office-form" novalidate>{office_fields}
        <div class="actions">
          <button type="submit" id="reports-button">Show the family's reports</button>
          <button type="button" id="notifications-button" class="secondary">Show my notifications</button>
        </div>
      </form>
      <div id="office-result" class="result" aria-live="polite"></div>
    </section>
  </main>
  <footer class="wrap footer">
    <p>Machine access: <a href="/docs">API documentation</a> · <a href="/openapi.json">OpenAPI contract</a></p>
  </footer>
</body>
</html>
"""


@router.get("/", response_class=HTMLResponse, summary="The examiner's page", operation_id="getExaminerPage")
async def examiner_page(service: Service) -> HTMLResponse:
    """A form for one priority claim; the verdict, its checks and the family picture appear below it."""
    try:
        directory = await run_in_threadpool(service.index.offices)
        offices = sorted(o.code for o in directory if o.active)
    except RegistryError:  # suggestions are a convenience: the form works without them
        offices = []
    return HTMLResponse(render_page(offices), headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY})
