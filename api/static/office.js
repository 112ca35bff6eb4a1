// The examiner's page, for offices (api/routes/page.py): the reports of a family (R15) and the
// office's notifications, asked with the office's own token. The token lives in this page's memory
// only: it is read from its field at each request, sent as a Bearer token and never stored.
// Everything from the server is written with textContent, never as HTML.
"use strict";

(() => {
  const form = document.getElementById("office-form");
  const output = document.getElementById("office-result");
  const reportsButton = document.getElementById("reports-button");
  const notificationsButton = document.getElementById("notifications-button");
  const COMMITMENT = /^0x[0-9a-fA-F]{64}$/;

  const REPORT_KINDS = {
    searchReport: "Search report",
    writtenOpinion: "Written opinion",
    examinationReport: "Examination report",
    officeAction: "Office action",
    other: "Other report",
  };
  const NOTIFICATION_KINDS = {
    familyMemberAdded: "A member joined the family",
    filingAmended: "A filing was amended",
    priorityClaimAdded: "A priority claim was added",
    priorityClaimWithdrawn: "A priority claim was withdrawn",
    priorityClaimConfirmed: "A priority claim was confirmed",
    filingPublished: "A filing was published",
    reportAdded: "A report was added",
    officeSuspended: "An office was suspended",
    priorityDocumentAmended: "A priority document was amended",
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

  function token() {
    const value = form.elements.namedItem("token").value.trim();
    fieldError("token", value ? "" : "Give your office's API token.");
    return value || null;
  }

  function table(id, caption, headers, rows) {
    return el(
      "table",
      { class: "checks", id },
      el("caption", {}, caption),
      el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, ...rows),
    );
  }

  function problem(answer, status) {
    const message = answer && answer.error ? answer.error.message : `The registry did not answer as expected (HTTP ${status}).`;
    const hint =
      status === 401
        ? " Check the token: it must be one this gateway issued to your office."
        : status === 404
          ? " Only an office with an application joined to this family by confirmed priority links sees its reports."
          : "";
    output.replaceChildren(el("div", { class: "verdict verdict--error", role: "alert" }, el("p", { class: "verdict-sentence" }, message + hint)));
  }

  async function ask(path, secret, accept = "application/json") {
    return fetch(path, { headers: { Accept: accept, Authorization: `Bearer ${secret}` } });
  }

  async function download(report, secret, button) {
    button.setAttribute("aria-disabled", "true");
    try {
      const response = await ask(`/v1/reports/${report.reportId}`, secret, "*/*");
      if (!response.ok) {
        problem(await response.json().catch(() => null), response.status);
        return;
      }
      const blob = await response.blob();
      const link = el("a", { href: URL.createObjectURL(blob), download: `${report.ipOfficeCode}-${report.kind}-${report.issued}` });
      document.body.append(link);
      link.click();
      link.remove();
      button.textContent = "Downloaded";
    } finally {
      button.removeAttribute("aria-disabled");
    }
  }

  function showReports(answer, commitment, secret) {
    const heading = el("h3", { id: "reports-heading" }, `Reports of the family of ${commitment}`);
    if (!answer.reports.length) {
      output.replaceChildren(heading, el("p", { class: "notice", id: "no-reports" }, "No office has anchored a report for this family yet."));
      return;
    }
    const rows = answer.reports.map((report) => {
      const get = el("button", { type: "button", class: "secondary small" }, "Download");
      get.setAttribute("aria-label", `Download the ${REPORT_KINDS[report.kind] ?? report.kind} of office ${report.ipOfficeCode}`);
      get.addEventListener("click", () => download(report, secret, get));
      return el(
        "tr",
        { class: "report-row", "data-report": report.reportId },
        el("th", { scope: "row" }, REPORT_KINDS[report.kind] ?? report.kind),
        el("td", { "data-field": "ipOfficeCode" }, report.ipOfficeCode),
        el("td", { "data-field": "issued" }, report.issued),
        el("td", {}, el("code", { class: "commitment" }, report.commitment)),
        el("td", {}, report.sha256 ? "held by this gateway" : "fetched from its office's gateway"),
        el("td", {}, get),
      );
    });
    output.replaceChildren(
      heading,
      table(
        "reports-table",
        `${answer.reports.length} report(s), in the order they were anchored; each file is checked against the ledger before it is handed to you.`,
        ["Report", "Written by", "Issued", "For the application", "File", ""],
        rows,
      ),
    );
  }

  function showNotifications(answer) {
    const heading = el("h3", { id: "notifications-heading" }, "Your notifications");
    if (!answer.notifications.length) {
      output.replaceChildren(heading, el("p", { class: "notice", id: "no-notifications" }, "Nothing has happened in the families of your applications yet."));
      return;
    }
    const rows = answer.notifications.map((n) =>
      el(
        "tr",
        { class: "notification-row", "data-kind": n.kind },
        el("th", { scope: "row" }, NOTIFICATION_KINDS[n.kind] ?? n.kind),
        el("td", {}, n.ipOfficeCode ?? "—"),
        el("td", {}, n.commitment ? el("code", { class: "commitment" }, n.commitment) : "every office"),
        el("td", {}, n.at),
        el("td", {}, n.ledger ? String(n.ledger.blockNumber) : "—"),
      ),
    );
    output.replaceChildren(
      heading,
      table(
        "notifications-table",
        `${answer.notifications.length} notification(s), in chain order (the latest last).`,
        ["What happened", "Office", "Application", "At", "Block"],
        rows,
      ),
    );
  }

  async function busy(button, work) {
    if (button.getAttribute("aria-disabled") === "true") return;
    button.setAttribute("aria-disabled", "true");
    output.setAttribute("aria-busy", "true");
    try {
      await work();
    } catch (error) {
      output.replaceChildren(el("p", { class: "notice", role: "alert" }, "The registry could not be reached; check the connection and try again."));
    } finally {
      button.removeAttribute("aria-disabled");
      output.setAttribute("aria-busy", "false");
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const secret = token();
    const commitment = form.elements.namedItem("familyCommitment").value.trim().toLowerCase();
    const wellFormed = COMMITMENT.test(commitment);
    fieldError("familyCommitment", wellFormed ? "" : "Write the commitment as 0x and 64 hex digits.");
    if (!secret || !wellFormed) return;
    busy(reportsButton, async () => {
      output.replaceChildren(el("p", { class: "pending" }, "Asking for the family's reports…"));
      const response = await ask(`/v1/families/${commitment}/reports`, secret);
      const answer = await response.json().catch(() => null);
      if (response.ok && answer) showReports(answer, commitment, secret);
      else problem(answer, response.status);
    });
  });

  notificationsButton.addEventListener("click", () => {
    const secret = token();
    if (!secret) return;
    busy(notificationsButton, async () => {
      output.replaceChildren(el("p", { class: "pending" }, "Asking for your notifications…"));
      // The newest 100: page from the start along `next` (at most 20 pages of 1,000 here).
      let cursor = "";
      let kept = [];
      for (let page = 0; page < 20; page += 1) {
        const after = cursor ? `&after=${encodeURIComponent(cursor)}` : "";
        const response = await ask(`/v1/notifications?limit=1000${after}`, secret);
        const answer = await response.json().catch(() => null);
        if (!response.ok || !answer) {
          problem(answer, response.status);
          return;
        }
        kept = kept.concat(answer.notifications).slice(-100);
        if (answer.notifications.length < 1000 || answer.next === cursor) break;
        cursor = answer.next;
      }
      showNotifications({ notifications: kept });
    });
  });
})();
