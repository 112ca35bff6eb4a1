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

  function describe(items) {
    const list = el("dl", { class: "facts" });
    for (const [term, detail, wide] of items) {
      list.append(el("div", wide ? { class: "wide" } : {}, el("dt", {}, term), el("dd", {}, detail ?? "—")));
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

  function showVerdict(answer) {
    const [word, sentence] = VERDICTS[answer.verdict] ?? [answer.verdict, ""];
    const parts = [
      el(
        "div",
        { class: `verdict verdict--${answer.verdict}`, id: "verdict" },
        el("p", { class: "verdict-label" }, "Verdict"),
        el("p", { class: "verdict-word", "data-verdict": answer.verdict }, word, el("code", {}, answer.verdict)),
        el("p", { class: "verdict-sentence" }, sentence),
      ),
    ];
    if (answer.priorityPeriodEnd || answer.restorationPeriodEnd) {
      parts.push(
        describe([
          ["Priority period ends", answer.priorityPeriodEnd],
          ["Restoration period ends", answer.restorationPeriodEnd ?? "no restoration for this kind of right"],
        ]),
      );
    }
    if (answer.restoration) {
      const r = answer.restoration;
      const offered = r.available === null ? "not known here" : r.available ? "yes" : "no";
      parts.push(
        el("h3", {}, "Restoration"),
        describe([
          ["Offered by the office", offered],
          ["Criterion", r.criterion ? CRITERIA[r.criterion] ?? r.criterion : "—"],
          ["Request by", r.requestDeadline ?? "—"],
          ["Rule", r.rule],
        ]),
      );
    }
    parts.push(el("h3", {}, "Checks"), checksTable(answer.checks));
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
          ["Commitment (the ledger's key for it)", r.commitment, true],
        ]),
      );
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
      parts.push(el("h3", {}, "Family"), figure);
    }
    result.replaceChildren(el("h2", { id: "result-heading" }, "Result"), ...parts);
    if (figure) drawFamily(figure, answer.registered.commitment);
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
    try {
      const response = await fetch("/v1/priority-claims/verify", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(body()),
      });
      const answer = await response.json().catch(() => null);
      if (response.ok && answer) {
        showVerdict(answer);
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
})();
