// The examiner's page: check a priority-document package (R26, api/routes/page.py). The chosen file
// is sent to POST /v1/priority-documents/verify (with the access code when one is given); every
// check of docs/spec/packages.md#checks is listed, with the version and whether it is current.
// Everything from the server is written with textContent, never as HTML.
"use strict";

(() => {
  const form = document.getElementById("package-form");
  const output = document.getElementById("package-result");
  const button = document.getElementById("package-button");

  const CHECKS = {
    archiveWellFormed: "The archive follows the container rules",
    filesMatchManifest: "Every file is the one the manifest names",
    manifestCanonical: "The manifest is written canonically",
    signedByOfficeKeyAtVersion: "Signed by the office's key when the version was anchored",
    anchoredOnLedger: "Anchored on the ledger as this version",
    numberMatchesCommitment: "The application number and access code give the commitment",
    isCurrentVersion: "The application's current version",
  };

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (key === "class") node.className = value;
      else node.setAttribute(key, value);
    }
    for (const child of children) {
      if (child !== null && child !== undefined) node.append(child);
    }
    return node;
  }

  function fieldError(name, message) {
    const control = form.elements.namedItem(name);
    const slot = document.getElementById(`${control.id}-error`);
    slot.textContent = message;
    slot.hidden = !message;
    if (message) control.setAttribute("aria-invalid", "true");
    else control.removeAttribute("aria-invalid");
  }

  function problem(answer, status) {
    const message = answer && answer.error ? answer.error.message : `The registry did not answer as expected (HTTP ${status}).`;
    output.replaceChildren(el("div", { class: "verdict verdict--error", role: "alert" }, el("p", { class: "verdict-sentence" }, message)));
  }

  function show(answer) {
    const current = answer.checks.some((c) => c.name === "isCurrentVersion" && c.passed);
    const sentence = answer.valid
      ? current
        ? `Valid: version ${answer.version} of ${answer.ipOfficeCode} ${answer.applicationNumber}, and it is the current version.`
        : `Valid, but not current: this is version ${answer.version}; the application is at version ${answer.currentVersion}.`
      : "Not valid: at least one check failed. Do not rely on this package.";
    const verdict = el(
      "div",
      { class: `verdict ${answer.valid ? "verdict--valid" : "verdict--error"}`, id: "package-verdict", "data-valid": String(answer.valid), "data-current": String(current) },
      el("p", { class: "verdict-sentence" }, sentence),
    );
    const rows = answer.checks.map((check) =>
      el(
        "tr",
        { "data-check": check.name, "data-passed": String(check.passed) },
        el("th", { scope: "row" }, CHECKS[check.name] ?? check.name),
        el("td", {}, check.passed ? "passed" : "failed"),
        el("td", {}, check.message),
      ),
    );
    const facts = el(
      "dl",
      { class: "package-facts" },
      el("dt", {}, "Version"),
      el("dd", { "data-field": "version" }, answer.version === null ? "unknown" : String(answer.version)),
      el("dt", {}, "Current version on the ledger"),
      el("dd", { "data-field": "currentVersion" }, answer.currentVersion === null ? "unknown" : String(answer.currentVersion)),
    );
    output.replaceChildren(
      verdict,
      facts,
      el(
        "table",
        { class: "checks", id: "package-checks" },
        el("caption", {}, "Every check of the package, in order"),
        el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Check"), el("th", { scope: "col" }, "Result"), el("th", { scope: "col" }, "Why"))),
        el("tbody", {}, ...rows),
      ),
    );
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = form.elements.namedItem("file");
    const file = input.files && input.files[0];
    fieldError("file", file ? "" : "Choose the package file (.zip).");
    if (!file) return;
    const body = new FormData();
    body.append("file", file, file.name);
    const code = form.elements.namedItem("packageAccessCode").value.trim();
    if (code) body.append("accessCode", code);
    button.setAttribute("aria-disabled", "true");
    try {
      const response = await fetch("/v1/priority-documents/verify", { method: "POST", body, headers: { Accept: "application/json" } });
      const answer = await response.json().catch(() => null);
      if (!response.ok || !answer) {
        problem(answer, response.status);
        return;
      }
      show(answer);
    } catch (error) {
      problem(null, 0);
    } finally {
      button.removeAttribute("aria-disabled");
    }
  });
})();
