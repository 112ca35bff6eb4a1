// The examiner's page (api/routes/page.py): send the claim to the JSON API, show the answer.
// Everything from the server is written with textContent, never as HTML; the family picture is an
// SVG the server escaped, parsed as XML and imported node by node.
"use strict";

(() => {
  const form = document.getElementById("claim-form");
  const result = document.getElementById("result");
  const button = document.getElementById("verify-button");
  const formMessage = document.getElementById("form-message");
  const DATE = /^\d{4}-\d{2}-\d{2}$/;

  const VERDICTS = {
    valid: ["Valid", "The priority claim holds: the earlier application is registered as claimed and the later one was filed in time."],
    restorable: ["Restorable", "The later application was filed after the priority period but within the two-month restoration window: the right of priority can be restored on request, on the criterion and by the deadline of the office that judges it (see Restoration below)."],
    invalid: ["Invalid", "The priority claim does not hold as made: see the failed checks below."],
    notFound: ["Not found", "No application is registered under this office, number and access code. Check the number and the access code with the applicant, or ask the first office whether it has registered the application."],
  };
  const CHECKS = {
    registered: "Registered on the ledger",
    filingDateMatches: "Filing date matches",
    ipRightKindCompatible: "Kinds of right compatible",
    laterAfterEarlier: "Later filed after earlier",
    withinPriorityPeriod: "Within the priority period",
    firstApplication: "First application",
    closingDaysKnown: "Closing days known",
    restorationRouteKnown: "Restoration route known",
    continuationInPart: "Continuation-in-part",
  };
  const CRITERIA = { dueCare: "due care", unintentional: "unintentional" };
  const KINDS = { patent: "Patent", utilityModel: "Utility model", design: "Industrial design", trademark: "Trademark" };

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

  function fieldOf(target) {
    const control = target ? form.elements.namedItem(target) : null;
    return control instanceof HTMLElement ? control : null;
  }

  function clearErrors() {
    for (const slot of form.querySelectorAll(".error")) {
      slot.textContent = "";
      slot.hidden = true;
    }
    for (const control of form.querySelectorAll("[aria-invalid]")) control.removeAttribute("aria-invalid");
    formMessage.hidden = true;
    formMessage.textContent = "";
  }

  // Shows one message beside the field the API named; false when no field has that name.
  function showFieldError(target, message) {
    const control = fieldOf(target);
    if (!control) return false;
    const slot = document.getElementById(`${control.id}-error`);
    const sentence = message.charAt(0).toUpperCase() + message.slice(1);
    slot.textContent = slot.textContent ? `${slot.textContent} ${sentence}` : sentence;
    slot.hidden = false;
    control.setAttribute("aria-invalid", "true");
    return true;
  }

  function labelOf(control) {
    const label = form.querySelector(`label[for="${control.id}"]`);
    return label ? label.textContent.trim().toLowerCase() : control.name;
  }

  function showFormMessage(message) {
    formMessage.textContent = message;
    formMessage.hidden = false;
  }

  function value(name) {
    return form.elements.namedItem(name).value.trim();
  }

  // Catches what a person can fix without asking the server: an empty field, a date not as YYYY-MM-DD.
  function localProblems() {
    const problems = [];
    for (const control of form.querySelectorAll("input[required]")) {
      if (!control.value.trim()) {
        problems.push([control.name, `Enter the ${labelOf(control)}.`]);
      }
    }
    for (const name of ["priority.filingDate", "later.filingDate", "later.parentFilingDate"]) {
      const text = value(name);
      if (text && !DATE.test(text)) problems.push([name, "Write the date as YYYY-MM-DD, for example 2017-09-27."]);
    }
    return problems;
  }

  function body() {
    const later = {
      ipOfficeCode: value("later.ipOfficeCode").toUpperCase(),
      filingDate: value("later.filingDate"),
      ipRightKind: value("later.ipRightKind"),
    };
    if (value("later.parentFilingDate")) later.parentFilingDate = value("later.parentFilingDate");
    if (value("later.applicationNumber")) later.applicationNumber = value("later.applicationNumber");
    return {
      priority: {
        ipOfficeCode: value("priority.ipOfficeCode").toUpperCase(),
        applicationNumber: value("priority.applicationNumber"),
        filingDate: value("priority.filingDate"),
        accessCode: value("priority.accessCode"),
      },
      later,
    };
  }

  // A definition list; each item is [term, detail, wide, key]: an absent detail is written "—", and key (when given)
  // names the item for the record's readers and tests (data-field).
  function describe(items, attrs = {}) {
    const list = el("dl", { class: "facts", ...attrs });
    for (const [term, detail, wide, key] of items) {
      const shown = detail === null || detail === undefined || detail === "" ? "—" : String(detail);
      const item = el("div", wide ? { class: "wide" } : {}, el("dt", {}, term), el("dd", {}, shown));
      if (key) item.setAttribute("data-field", key);
      list.append(item);
    }
    return list;
  }

  function checksTable(checks) {
    const rows = checks.map((check) => {
      const state = check.passed ? "passed" : check.severity === "warning" ? "warning" : "failed";
      const mark = { passed: "✓ passed", warning: "⚠ warning", failed: "✗ failed" }[state];
      return el(
        "tr",
        { class: `check check--${state}`, "data-check": check.name },
        el("th", { scope: "row" }, CHECKS[check.name] ?? check.name, el("code", {}, check.name)),
        el("td", { class: "check-state" }, mark),
        el("td", {}, check.severity),
        el("td", {}, check.message),
      );
    });
    return el(
      "table",
      { class: "checks" },
      el(
        "caption",
        {},
        "Each check of the claim against the ledger and the priority rules. Severity error: the verdict rests on it;" +
          " warning: for the examiner to weigh.",
      ),
      el(
        "thead",
        {},
        el("tr", {}, ...["Check", "Result", "Severity", "What it found"].map((h) => el("th", { scope: "col" }, h))),
      ),
      el("tbody", {}, ...rows),
    );
  }

  async function drawFamily(figure, commitment) {
    const url = `/v1/families/${commitment}.svg`;
    const holder = el("div", { class: "family-picture", tabindex: "0", role: "region", "aria-label": "Family picture (scrolls sideways when wide)" });
    figure.prepend(holder);
    try {
      const response = await fetch(url, { headers: { Accept: "image/svg+xml" } });
      if (!response.ok) throw new Error(`the server answered ${response.status}`);
      const parsed = new DOMParser().parseFromString(await response.text(), "image/svg+xml");
      if (parsed.querySelector("parsererror")) throw new Error("the picture could not be read");
      holder.append(document.importNode(parsed.documentElement, true));
    } catch (error) {
      holder.append(el("p", { class: "notice" }, `The family picture could not be shown: ${error.message}.`));
    }
  }

  // The ledger evidence of a registered verification (docs/api.md#evidence); every field "—" while the answer has
  // none (not registered, or a gateway that does not give it).
  function evidenceList(evidence) {
    const e = evidence ?? {};
    const proof = Array.isArray(e.proof) ? (e.proof.length ? e.proof.join(" ") : "(empty: the batch has one entry)") : null;
    return describe(
      [
        ["Chain id", e.chainId, false, "chainId"],
        ["Registry contract", e.contract, true, "contract"],
        ["Block of the version checked", e.blockNumber, false, "blockNumber"],
        ["Head block when checked", e.headBlock, false, "headBlock"],
        ["Block hash", e.blockHash, true, "blockHash"],
        ["Transaction hash", e.transactionHash, true, "transactionHash"],
        ["Batch root", e.batchRoot, true, "batchRoot"],
        ["Merkle proof", proof, true, "proof"],
        ["Entry bytes", e.entry, true, "entry"],
      ],
      { id: "evidence" },
    );
  }

  function restorationList(restoration) {
    const r = restoration;
    if (!r) {
      return describe([["Restoration route", "— (nothing registered to judge)", true, "restoration"]], { id: "restoration" });
    }
    const offered = r.available === null ? "not known here" : r.available ? "yes" : "no";
    return describe(
      [
        ["Offered by the office", offered, false, "restoration.available"],
        ["Criterion", r.criterion ? CRITERIA[r.criterion] ?? r.criterion : null, false, "restoration.criterion"],
        ["Request by", r.requestDeadline, false, "restoration.requestDeadline"],
        ["Rule", r.rule, false, "restoration.rule"],
      ],
      { id: "restoration" },
    );
  }

  // One checked claim as a record to file: what was claimed, the verdict and every check, the periods, the restoration
  // route, the registered record, the ledger evidence and the rules version. `claim` = {source, items}.
  function showVerdict(answer, claim) {
    const [word, sentence] = VERDICTS[answer.verdict] ?? [answer.verdict, ""];
    const evidence = answer.evidence ?? null;
    const printed = new Date();
    const parts = [
      el(
        "div",
        { class: "record-head" },
        el("p", { class: "record-title" }, "Priority claim verification record"),
        describe(
          [
            ["Checked at", printed.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC"), false, "checkedAt"],
            ["Registry", window.location.origin, false, "registry"],
            ["Asked through", claim.source, true, "source"],
          ],
          { class: "facts record-meta" },
        ),
      ),
      el(
        "div",
        { class: `verdict verdict--${answer.verdict}`, id: "verdict" },
        el("p", { class: "verdict-label" }, "Verdict"),
        el("p", { class: "verdict-word", "data-verdict": answer.verdict }, word, el("code", {}, answer.verdict)),
        el("p", { class: "verdict-sentence" }, sentence),
      ),
      el("h3", {}, "The claim"),
      describe(claim.items, { id: "claim" }),
    ];
    if (answer.priorityPeriodEnd || answer.restorationPeriodEnd) {
      parts.push(
        describe([
          ["Priority period ends", answer.priorityPeriodEnd, false, "priorityPeriodEnd"],
          ["Restoration period ends", answer.restorationPeriodEnd ?? "no restoration for this kind of right", false, "restorationPeriodEnd"],
        ]),
      );
    }
    parts.push(el("h3", {}, "Checks"), checksTable(answer.checks));
    parts.push(el("h3", {}, "Restoration"), restorationList(answer.restoration));
    let figure = null;
    if (answer.registered) {
      const r = answer.registered;
      parts.push(
        el("h3", {}, "Registered record"),
        describe([
          ["Office", r.ipOfficeCode],
          ["Filing date", r.filingDate],
          ["Kind of right", KINDS[r.ipRightKind] ?? r.ipRightKind],
          ["Version checked", String(r.version)],
          ["Commitment (the ledger's key for it)", r.commitment, true, "registered.commitment"],
        ]),
      );
    }
    parts.push(
      el("h3", {}, "Ledger evidence"),
      el(
        "p",
        { class: "hint" },
        evidence
          ? "The transaction that wrote the version checked; `prioreg check-evidence` re-checks it against any node."
          : "This answer carries no ledger evidence (nothing registered, or a gateway that does not give it).",
      ),
      evidenceList(evidence),
      describe([["Rules version", evidence ? evidence.rulesVersion : null, true, "rulesVersion"]], { id: "rules-version" }),
    );
    if (answer.registered) {
      const r = answer.registered;
      figure = el(
        "figure",
        { class: "family", id: "family" },
        el(
          "figcaption",
          {},
          "Extended family of the registered application, earliest on the left. ",
          el("a", { href: `/v1/families/${r.commitment}.svg` }, "Open the picture on its own"),
          " · ",
          el("a", { href: `/v1/families/${r.commitment}` }, "as JSON"),
        ),
      );
      parts.push(el("div", { class: "screen-only" }, el("h3", {}, "Family"), figure));
    }
    const print = el("button", { type: "button", id: "print-button", class: "secondary" }, "Print record");
    print.addEventListener("click", () => window.print());
    parts.push(
      el(
        "div",
        { class: "actions record-actions" },
        print,
        el("p", { class: "hint" }, "Prints the record alone: the claim, the verdict, every check and the evidence."),
      ),
    );
    result.replaceChildren(el("h2", { id: "result-heading" }, "Result"), el("article", { id: "record", class: "record", "aria-labelledby": "result-heading" }, ...parts));
    if (figure) drawFamily(figure, answer.registered.commitment);
  }

  function claimOfForm(sent) {
    const p = sent.priority;
    const l = sent.later;
    return {
      source: "POST /v1/priority-claims/verify (the access code is not recorded)",
      items: [
        ["Earlier application: office", p.ipOfficeCode, false, "priority.ipOfficeCode"],
        ["Earlier application: number", p.applicationNumber, false, "priority.applicationNumber"],
        ["Claimed filing date", p.filingDate, false, "priority.filingDate"],
        ["Later application: office", l.ipOfficeCode, false, "later.ipOfficeCode"],
        ["Later application: filing date", l.filingDate, false, "later.filingDate"],
        ["Later application: kind of right", KINDS[l.ipRightKind] ?? l.ipRightKind, false, "later.ipRightKind"],
        ["Later application: number", l.applicationNumber, false, "later.applicationNumber"],
        ["Parent filing date", l.parentFilingDate, false, "later.parentFilingDate"],
      ],
    };
  }

  function showFailure(message) {
    result.replaceChildren(
      el("h2", { id: "result-heading" }, "Result"),
      el("div", { class: "verdict verdict--error", role: "alert" }, el("p", { class: "verdict-sentence" }, message)),
    );
  }

  let busy = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (busy) return;
    clearErrors();
    const problems = localProblems();
    if (problems.length) {
      for (const [name, message] of problems) showFieldError(name, message);
      showFormMessage(`Please correct ${problems.length === 1 ? "the field" : `the ${problems.length} fields`} marked above.`);
      fieldOf(problems[0][0]).focus();
      return;
    }
    busy = true;
    button.setAttribute("aria-disabled", "true");
    result.setAttribute("aria-busy", "true");
    result.replaceChildren(el("h2", { id: "result-heading" }, "Result"), el("p", { class: "pending" }, "Checking the ledger…"));
    const sent = body();
    try {
      const response = await fetch("/v1/priority-claims/verify", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(sent),
      });
      const answer = await response.json().catch(() => null);
      if (response.ok && answer) {
        showVerdict(answer, claimOfForm(sent));
      } else if (answer && answer.error) {
        // Each detail goes beside the field its target names; the result says where to look.
        const placed = (answer.error.details ?? []).filter((d) => showFieldError(d.target, d.message));
        if (placed.length) {
          const names = [...new Set(placed.map((d) => labelOf(fieldOf(d.target))))];
          showFailure(`The claim was not checked: correct the ${names.join(" and the ")} above, then verify again.`);
          showFormMessage(`Please correct ${placed.length === 1 ? "the field" : "the fields"} marked above.`);
          fieldOf(placed[0].target).focus();
        } else {
          showFailure(`The claim was not checked: ${answer.error.message}`);
        }
      } else {
        showFailure(`The registry did not answer as expected (HTTP ${response.status}). Nothing was changed; try again.`);
      }
    } catch (error) {
      showFailure("The registry could not be reached. Nothing was changed; check the connection and try again.");
    } finally {
      busy = false;
      button.removeAttribute("aria-disabled");
      result.setAttribute("aria-busy", "false");
    }
  });

  // "Check every claim of this application": GET /v1/applications/{commitment}/priority-claims, one row a claim.
  const allForm = document.getElementById("all-claims-form");
  const allResult = document.getElementById("all-claims-result");
  const allButton = document.getElementById("all-claims-button");
  const COMMITMENT = /^0x[0-9a-fA-F]{64}$/;

  function allFieldError(name, message) {
    const control = allForm.elements.namedItem(name);
    const slot = document.getElementById(`${control.id}-error`);
    slot.textContent = message;
    slot.hidden = false;
    control.setAttribute("aria-invalid", "true");
    control.focus();
  }

  function clearAllErrors() {
    for (const slot of allForm.querySelectorAll(".error")) {
      slot.textContent = "";
      slot.hidden = true;
    }
    for (const control of allForm.querySelectorAll("[aria-invalid]")) control.removeAttribute("aria-invalid");
  }

  function claimOfRow(answer, item, index) {
    return {
      source: `GET /v1/applications/${answer.commitment}/priority-claims, claim ${index + 1}`,
      items: [
        ["Earlier application: office", item.ipOfficeCode, false, "priority.ipOfficeCode"],
        ["Earlier application: commitment", item.earlierCommitment, true, "earlierCommitment"],
        ["Claimed filing date", item.claimedFilingDate, false, "priority.filingDate"],
        ["Withdrawn", item.withdrawn ? "yes (the history keeps it)" : "no", false, "withdrawn"],
        ["Later application: commitment", answer.commitment, true, "later.commitment"],
      ],
    };
  }

  function checkSummary(checks) {
    return el(
      "ul",
      { class: "check-list" },
      ...checks.map((check) => {
        const state = check.passed ? "passed" : check.severity === "warning" ? "warning" : "failed";
        const mark = { passed: "✓", warning: "⚠", failed: "✗" }[state];
        return el(
          "li",
          { class: `check--${state}`, "data-check": check.name, title: check.message },
          `${mark} ${CHECKS[check.name] ?? check.name} (${state})`,
        );
      }),
    );
  }

  function showAllClaims(answer) {
    const heading = el("h3", { id: "all-claims-result-heading" }, `Claims of ${answer.commitment}`);
    if (!answer.priorityClaims.length) {
      allResult.replaceChildren(heading, el("p", { class: "notice", id: "no-claims" }, "This application makes no priority claim."));
      return;
    }
    const rows = answer.priorityClaims.map((item, index) => {
      const v = item.verification;
      const [word] = VERDICTS[v.verdict] ?? [v.verdict];
      const open = el("button", { type: "button", class: "secondary small" }, "Show record");
      open.setAttribute("aria-label", `Show the record of claim ${index + 1}`);
      open.addEventListener("click", () => {
        showVerdict(v, claimOfRow(answer, item, index));
        result.focus();
      });
      return el(
        "tr",
        { class: `claim-row verdict-row--${v.verdict}`, "data-verdict": v.verdict, "data-withdrawn": String(item.withdrawn) },
        el("th", { scope: "row" }, String(index + 1)),
        el("td", {}, item.ipOfficeCode, el("code", { class: "commitment" }, item.earlierCommitment)),
        el("td", {}, item.claimedFilingDate),
        el("td", {}, item.withdrawn ? "withdrawn" : "no"),
        el("td", { class: "claim-verdict" }, el("strong", {}, word), el("code", {}, v.verdict)),
        el("td", {}, v.priorityPeriodEnd ?? "—"),
        el("td", {}, checkSummary(v.checks)),
        el("td", {}, open),
      );
    });
    const counts = {};
    for (const item of answer.priorityClaims) counts[item.verification.verdict] = (counts[item.verification.verdict] ?? 0) + 1;
    const summary = Object.entries(counts)
      .map(([verdict, n]) => `${n} ${(VERDICTS[verdict] ?? [verdict])[0].toLowerCase()}`)
      .join(", ");
    allResult.replaceChildren(
      heading,
      el(
        "table",
        { class: "checks all-claims-table", id: "all-claims-table" },
        el("caption", {}, `${answer.priorityClaims.length} claim(s), in the order they were made: ${summary}.`),
        el(
          "thead",
          {},
          el(
            "tr",
            {},
            ...["#", "Earlier application", "Claimed filing date", "Withdrawn", "Verdict", "Priority period ends", "Checks", "Record"].map(
              (h) => el("th", { scope: "col" }, h),
            ),
          ),
        ),
        el("tbody", {}, ...rows),
      ),
    );
  }

  let allBusy = false;
  allForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (allBusy) return;
    clearAllErrors();
    const commitment = allForm.elements.namedItem("commitment").value.trim();
    const office = allForm.elements.namedItem("ipOfficeCode").value.trim().toUpperCase();
    if (!COMMITMENT.test(commitment)) {
      allFieldError("commitment", "Write the commitment as 0x and 64 hex digits.");
      return;
    }
    allBusy = true;
    allButton.setAttribute("aria-disabled", "true");
    allResult.setAttribute("aria-busy", "true");
    allResult.replaceChildren(el("p", { class: "pending" }, "Checking every claim on the ledger…"));
    const query = office ? `?ipOfficeCode=${encodeURIComponent(office)}` : "";
    try {
      const response = await fetch(`/v1/applications/${commitment.toLowerCase()}/priority-claims${query}`, {
        headers: { Accept: "application/json" },
      });
      const answer = await response.json().catch(() => null);
      if (response.ok && answer) {
        showAllClaims(answer);
      } else if (answer && answer.error) {
        const detail = (answer.error.details ?? []).find((d) => d.target === "ipOfficeCode" || d.target === "commitment");
        if (detail) allFieldError(detail.target, detail.message.charAt(0).toUpperCase() + detail.message.slice(1));
        allResult.replaceChildren(el("div", { class: "verdict verdict--error", role: "alert" }, el("p", { class: "verdict-sentence" }, answer.error.message)));
      } else {
        allResult.replaceChildren(el("p", { class: "notice", role: "alert" }, `The registry did not answer as expected (HTTP ${response.status}).`));
      }
    } catch (error) {
      allResult.replaceChildren(el("p", { class: "notice", role: "alert" }, "The registry could not be reached; check the connection and try again."));
    } finally {
      allBusy = false;
      allButton.removeAttribute("aria-disabled");
      allResult.setAttribute("aria-busy", "false");
    }
  });
})();
