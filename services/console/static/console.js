// The webcare console in the browser: a live triage queue over server-sent events, one-click placement,
// claims, keyboard only (j/k, 1-3, o, r). Everything the server sends is shown with textContent: citizen
// text never becomes HTML.
"use strict";

const csrf = document.querySelector('meta[name="csrf-token"]').content;
// The selection is a message id, not a position: rows come and go above it while a person reads.
const state = { rows: [], claims: new Map(), departments: {}, categories: {}, me: "", selectedId: null, open: null };

function selectedIndex() {
  const index = state.rows.findIndex((r) => r.message_id === state.selectedId);
  return index >= 0 ? index : 0;
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value;
    else if (key.startsWith("data-")) node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) node.append(child);
  return node;
}

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
    body: JSON.stringify(body || {}),
    credentials: "same-origin",
  });
  let data = {};
  try { data = await response.json(); } catch (e) { /* no body */ }
  if (response.status === 401) window.location.assign("/login");
  return { ok: response.ok, status: response.status, data };
}

function say(text) { document.getElementById("status").textContent = text; }

function waiting(seconds) {
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} u ${minutes % 60} min`;
}

function claimOf(row) {
  const claim = state.claims.get(row.conversation_id);
  if (!claim || claim.until * 1000 < Date.now()) return null;
  return claim;
}

function render() {
  const list = document.getElementById("wachtrij");
  // Redrawn on every change: put the keyboard focus back on the same row and the same button.
  const active = document.activeElement;
  const focusedRow = active && active.closest("#wachtrij .row") ? active.closest(".row").dataset.message : null;
  const focusedKey = active && active.dataset ? active.dataset.key : null;
  list.replaceChildren();
  document.getElementById("aantal").textContent = `(${state.rows.length})`;
  if (!state.rows.some((r) => r.message_id === state.selectedId)) {
    // The selected message left: select the one now in its place.
    state.selectedId = state.rows.length ? state.rows[Math.min(state.lastIndex || 0, state.rows.length - 1)].message_id : null;
  }
  const selected = selectedIndex();
  state.lastIndex = selected;
  state.rows.forEach((row, index) => {
    const claim = claimOf(row);
    const byOther = claim && claim.staff !== state.me;
    const suggestions = el("div", { class: "suggestions", role: "group", ariaLabel: "Plaatsen bij" });
    row.suggestions.forEach((s, n) => {
      const name = state.departments[s.department] || s.department;
      const category = s.category ? (state.categories[s.category] || s.category) : "";
      const button = el("button", { type: "button", class: "place", disabled: !!byOther, "data-key": String(n + 1) },
        el("kbd", {}, String(n + 1)), ` ${name}`, category ? el("span", { class: "category" }, ` · ${category}`) : "",
        el("span", { class: "score" }, ` ${Math.round(s.score * 100)}%`));
      button.addEventListener("click", () => place(row, s));
      suggestions.append(button);
    });
    const status = claim ? el("p", { class: byOther ? "claim other" : "claim mine" },
      byOther ? `In behandeling door ${claim.name}` : "U behandelt dit gesprek") : "";
    const item = el("li", {
      class: `row${index === selected ? " selected" : ""}${row.urgent ? " urgent" : ""}${byOther ? " claimed" : ""}`,
      tabIndex: index === selected ? 0 : -1, "data-message": row.message_id,
      ariaCurrent: index === selected ? "true" : "false",
    },
      el("p", { class: "meta" },
        el("span", { class: `priority ${row.priority}` }, row.priority), ` · ${row.channel} · ${row.language || "?"} · wacht ${waiting(row.waiting_office_seconds)} (kantooruren)`),
      row.subject ? el("p", { class: "subject" }, row.subject) : "",
      el("p", { class: "text" }, row.text),
      status,
      suggestions);
    item.addEventListener("click", (event) => {
      if (event.target.closest("button")) return;
      state.selectedId = row.message_id; render();
    });
    list.append(item);
  });
  if (focusedRow) {
    const rowNode = [...list.children].find((n) => n.dataset.message === focusedRow);
    const target = rowNode && focusedKey ? rowNode.querySelector(`[data-key="${focusedKey}"]:not(:disabled)`) : rowNode;
    if (target) target.focus(); else focusSelected();
  }
}

function focusSelected() {
  const node = document.querySelector("#wachtrij .row.selected");
  if (node) node.focus();
}

async function place(row, suggestion) {
  say(`Bezig met plaatsen bij ${state.departments[suggestion.department] || suggestion.department}…`);
  const result = await post(`/api/messages/${encodeURIComponent(row.message_id)}/place`,
    { department: suggestion.department, category: suggestion.category });
  if (result.ok) {
    removeRows([row.message_id]);
    say(`Geplaatst bij ${state.departments[suggestion.department] || suggestion.department}.`);
  } else {
    say(result.data.error || `Plaatsen mislukt (${result.status}).`);
    if (result.data.claim) { state.claims.set(result.data.claim.conversation_id, result.data.claim); render(); }
  }
}

async function openConversation(row) {
  const claimed = await post(`/api/conversations/${encodeURIComponent(row.conversation_id)}/claim`);
  if (claimed.data.claim) state.claims.set(row.conversation_id, claimed.data.claim);
  say(claimed.ok ? "Gesprek geclaimd: collega's zien dat u het behandelt." : claimed.data.error);
  const response = await fetch(`/api/conversations/${encodeURIComponent(row.conversation_id)}`, { credentials: "same-origin" });
  const data = await response.json();
  const section = document.getElementById("gesprek");
  const list = document.getElementById("gesprek-berichten");
  list.replaceChildren(...data.messages.map((m) =>
    el("li", {}, el("p", { class: "meta" }, `${new Date(m.received_at).toLocaleString("nl-NL")} · ${m.channel} · ${m.destination}`),
      el("p", { class: "text" }, m.text))));
  section.hidden = false;
  state.open = row.conversation_id;
  render();
}

async function release(row) {
  const result = await post(`/api/conversations/${encodeURIComponent(row.conversation_id)}/release`);
  if (result.ok) { state.claims.delete(row.conversation_id); say("Claim vrijgegeven."); render(); }
  else say(result.data.error);
}

function removeRows(ids) {
  const gone = new Set(ids);
  state.rows = state.rows.filter((r) => !gone.has(r.message_id));
  render();
}

function order(a, b) {
  const rank = { spoed: 0, hoog: 1, normaal: 2 };
  return (rank[a.priority] - rank[b.priority]) || a.received_at.localeCompare(b.received_at) || a.message_id.localeCompare(b.message_id);
}

function connect() {
  const source = new EventSource("/api/triage/live");
  source.addEventListener("snapshot", (event) => {
    const data = JSON.parse(event.data);
    state.rows = data.rows; state.departments = data.departments; state.categories = data.categories || {};
    state.me = data.me;
    state.claims = new Map(data.claims.map((c) => [c.conversation_id, c]));
    document.body.dataset.live = "true";
    render();
  });
  source.addEventListener("add", (event) => {
    const row = JSON.parse(event.data);
    if (!state.rows.some((r) => r.message_id === row.message_id)) {
      state.rows.push(row); state.rows.sort(order);
      if (row.urgent) say(`Nieuw spoedbericht (${row.channel}) bovenaan de wachtrij.`);
    }
    render();
  });
  source.addEventListener("waits", (event) => {
    const waits = JSON.parse(event.data);
    for (const row of state.rows) if (row.message_id in waits) row.waiting_office_seconds = waits[row.message_id];
    render();
  });
  source.addEventListener("signed_out", () => { source.close(); window.location.assign("/login"); });
  source.addEventListener("remove", (event) => removeRows(JSON.parse(event.data)));
  source.addEventListener("claim", (event) => { const c = JSON.parse(event.data); state.claims.set(c.conversation_id, c); render(); });
  source.addEventListener("release", (event) => { state.claims.delete(JSON.parse(event.data)); render(); });
  keepConnected(source, connect);
}

// EventSource retries by itself after a dropped connection, but gives up for good after an answer that is
// not a stream (503 at the viewer limit, a gateway's 502 during an update, 401 after expiry): start again.
function keepConnected(source, again) {
  source.onerror = () => {
    document.body.dataset.live = "false";
    say("Verbinding verbroken; opnieuw verbinden…");
    if (source.readyState === EventSource.CLOSED) {
      source.close();
      setTimeout(async () => {
        const probe = await fetch("/api/sessie", { credentials: "same-origin" });
        if (probe.status === 401) window.location.assign("/login"); else again();
      }, 3000 + Math.random() * 2000);
    }
  };
  source.onopen = () => say("");
}

function initTriage() {
document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  // Single-key shortcuts act only in the queue (WCAG 2.1.4): elsewhere keys do what they always do.
  if (!(event.target === document.body || event.target.closest("#wachtrij"))) return;
  const row = state.rows[selectedIndex()];
  if (event.key === "j" || event.key === "k") {
    const next = Math.max(0, Math.min(state.rows.length - 1, selectedIndex() + (event.key === "j" ? 1 : -1)));
    state.selectedId = state.rows.length ? state.rows[next].message_id : null;
    render(); focusSelected(); event.preventDefault();
  } else if (row && ["1", "2", "3"].includes(event.key)) {
    const suggestion = row.suggestions[Number(event.key) - 1];
    const claim = claimOf(row);
    if (suggestion && !(claim && claim.staff !== state.me)) place(row, suggestion);
    event.preventDefault();
  } else if (row && event.key === "o") { openConversation(row); event.preventDefault(); }
  else if (row && event.key === "r") { release(row); event.preventDefault(); }
});

setInterval(render, 30000); // claims lapse by the clock
connect();
}

// --- a department's open conversations -------------------------------------------------------------

const ACTIONS = [["first_reply", "Eerste antwoord gegeven"], ["closed", "Afsluiten"]];

function office(seconds) {
  if (seconds === null || seconds === undefined) return "";
  const minutes = Math.floor(seconds / 60);
  return `${Math.floor(minutes / 60)} u ${minutes % 60} min`;
}

const AUTHORS = { webcare: "webcare", department: "afdeling" };

function replyStatus(reply) {
  // "mislukt: <reden>" for a failure; the state's Dutch name otherwise.
  const text = reply.state === "failed" ? `${reply.state_name}: ${reply.explanation}` : reply.state_name;
  return el("span", { class: `reply ${reply.state}`, "data-state": reply.state }, text);
}

function renderReplies() {
  const replies = state.replies || [];
  document.getElementById("aantal-antwoorden").textContent = `(${replies.length})`;
  document.querySelector("#antwoorden tbody").replaceChildren(...replies.map((reply) =>
    el("tr", { "data-reply": reply.reply_id, "data-conversation": reply.conversation_id },
      el("td", {}, new Date(reply.written_at * 1000).toLocaleString("nl-NL")),
      el("td", {}, reply.channel),
      el("td", {}, el("p", { class: "text" }, reply.text)),
      el("td", {}, AUTHORS[reply.author_role] || reply.author_role),
      el("td", {}, replyStatus(reply)))));
}

function renderDepartment() {
  // The list is redrawn on every change and every 30 s (the clocks): keep the keyboard where it was.
  const active = document.activeElement;
  const focusRow = active && active.closest("tr") ? active.closest("tr").dataset.conversation : null;
  const focusAction = active ? (active.dataset.action || active.tagName) : null;
  state.handOver = state.handOver || {};
  const body = document.querySelector("#gesprekken tbody");
  const department = document.body.dataset.department;
  document.getElementById("aantal").textContent = `(${state.rows.length})`;
  body.replaceChildren(...state.rows.map((row) => {
    const actions = el("div", { class: "actions" });
    for (const [action, label] of ACTIONS) {
      const button = el("button", { type: "button", "data-action": action }, label);
      button.addEventListener("click", () => report(row, action));
      actions.append(button);
    }
    const others = Object.entries(state.departments).filter(([id]) => id !== department);
    const select = el("select", { ariaLabel: "Overdragen aan afdeling" },
      ...others.map(([id, name]) => el("option", { value: id }, name)));
    if (state.handOver[row.conversation_id]) select.value = state.handOver[row.conversation_id];
    select.addEventListener("change", () => { state.handOver[row.conversation_id] = select.value; });
    const handOver = el("button", { type: "button", "data-action": "handed_over" }, "Overdragen");
    handOver.addEventListener("click", () => report(row, "handed_over", select.value));
    actions.append(select, handOver);
    const sla = row.sla_seconds === null ? "" : ` van ${office(row.sla_seconds)}`;
    const slaText = { op_tijd: "op tijd", bijna: "bijna te laat", te_laat: "te laat" }[row.sla];
    return el("tr", { "data-conversation": row.conversation_id },
      el("td", {}, new Date(row.since).toLocaleString("nl-NL")),
      el("td", {}, row.channel),
      el("td", {}, el("p", { class: "text" }, row.text)),
      el("td", {}, el("span", { class: `sla ${row.sla}` }, `${office(row.office_seconds)}${sla} · ${slaText}`)),
      el("td", { class: "answer" }, row.reply ? replyStatus(row.reply) : "nog geen"),
      el("td", {}, actions));
  }));
  if (focusRow) {
    const row = [...body.querySelectorAll("tr")].find((r) => r.dataset.conversation === focusRow);
    const target = row && (row.querySelector(`[data-action="${focusAction}"]`) || row.querySelector(focusAction));
    if (target) target.focus();
  }
}

async function report(row, action, toDepartment) {
  const department = document.body.dataset.department;
  const result = await post(`/api/afdeling/${encodeURIComponent(department)}/gesprekken/${encodeURIComponent(row.conversation_id)}`,
    { action, to_department: toDepartment || "" });
  if (result.ok) {
    const index = state.rows.findIndex((r) => r.conversation_id === row.conversation_id);
    state.rows = state.rows.filter((r) => r.conversation_id !== row.conversation_id);
    renderDepartment();
    // The row is gone: the keyboard goes on with the conversation now in its place.
    const next = document.querySelectorAll("#gesprekken tbody tr")[Math.min(index, state.rows.length - 1)];
    if (next) next.querySelector("button").focus(); else document.querySelector("h1").focus();
    say(`Gemeld: ${result.data.text}.`);
  } else say(result.data.error || `Melden mislukt (${result.status}).`);
}

function initDepartment() {
  const department = document.body.dataset.department;
  const source = new EventSource(`/api/afdeling/${encodeURIComponent(department)}/live`);
  source.addEventListener("snapshot", (event) => {
    const data = JSON.parse(event.data);
    state.rows = data.rows; state.departments = data.departments; state.replies = data.replies;
    document.body.dataset.live = "true";
    renderDepartment(); renderReplies();
  });
  source.addEventListener("rows", (event) => { state.rows = JSON.parse(event.data); renderDepartment(); });
  source.addEventListener("replies", (event) => { state.replies = JSON.parse(event.data); renderReplies(); });
  source.addEventListener("signed_out", () => { source.close(); window.location.assign("/login"); });
  keepConnected(source, initDepartment);
}

// --- the wall screen -------------------------------------------------------------------------------

function percent(share) { return share === null || share === undefined ? "–" : `${Math.round(share * 100)}%`; }

async function refreshOverview() {
  const response = await fetch("/api/overzicht", { credentials: "same-origin" });
  if (response.status === 401) { window.location.assign("/login"); return; }
  const data = await response.json();
  if (!response.ok) { say(data.error); return; }
  say("");
  document.getElementById("kantoor").textContent = data.office_open ? "(kantoor open)" : "(kantoor gesloten: de wachttijden staan stil)";
  document.querySelector("#kanalen tbody").replaceChildren(...data.channels.map((c) =>
    el("tr", { "data-channel": c.channel }, el("th", { scope: "row" }, c.channel), el("td", {}, String(c.today)),
      el("td", {}, String(c.waiting)), el("td", {}, office(c.oldest_office_seconds)),
      el("td", {}, percent(c.triaged_share)), el("td", {}, percent(c.sla_met_share)))));
  document.querySelector("#afdelingen tbody").replaceChildren(...data.departments.map((d) =>
    el("tr", { "data-department": d.department }, el("th", { scope: "row" }, d.name), el("td", {}, String(d.today)),
      el("td", {}, String(d.waiting)), el("td", {}, office(d.oldest_office_seconds)),
      el("td", {}, percent(d.sla_met_share)))));
  document.body.dataset.live = "true";
}

function initOverview() {
  refreshOverview();
  setInterval(refreshOverview, 10000);
}

document.getElementById("uitloggen").addEventListener("click", async () => {
  await post("/logout");
  window.location.assign("/login");
});

if (document.body.dataset.page === "triage") initTriage();
else if (document.body.dataset.page === "afdeling") initDepartment();
else if (document.body.dataset.page === "overzicht") initOverview();
