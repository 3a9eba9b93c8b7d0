// The status page's script: it refreshes the state and the running cycle's
// progress from /api/status, and runs the write operations with the admin
// token, kept in sessionStorage for this tab only. It builds no HTML from
// data: every value is set as text.
"use strict";
(function () {
  const body = document.body;
  const tenant = body.dataset.tenant;
  const poll = Number(body.dataset.poll) || 2000;
  const phases = ["read source", "read target", "plan", "apply"];
  const tokenKey = "druvasync.adminToken";
  const $ = (id) => document.getElementById(id);

  function when(s) {
    if (!s || s.startsWith("0001-01-01")) return "—";
    return s.replace("T", " ").replace(/\.\d+/, "").replace("Z", " UTC");
  }
  function setText(id, text) {
    const el = $(id);
    if (el && el.textContent !== text) el.textContent = text;
  }
  function show(id, on) {
    const el = $(id);
    if (el) el.hidden = !on;
  }

  function render(st) {
    const state = $("state");
    if (state) {
      state.textContent = st.state;
      state.className = "badge state-" + st.state;
    }
    show("quarantine", !!st.quarantine);
    if (st.quarantine) {
      setText("q-reason", st.quarantine.reason);
      setText("q-detail", st.quarantine.detail || "");
      setText("q-next", when(st.quarantine.nextAttempt));
    }
    show("held-row", st.held > 0);
    setText("held", String(st.held));
    setText("next-cycle", st.paused ? "none while paused" : when(st.nextCycle));
    setText("last-success", when(st.lastSuccess));
    show("last-error-row", !!st.lastError);
    setText("last-error", st.lastError || "");
    const run = st.running;
    show("progress", !!run);
    if (!run) return;
    let cur = phases.indexOf(run.Phase === "map" ? "plan" : run.Phase);
    document.querySelectorAll("#phases li").forEach((li, i) => {
      li.className = i < cur ? "done" : i === cur ? "current" : "todo";
    });
    const bar = $("progress-bar");
    const pct = run.Total > 0 ? Math.min(100, Math.floor((run.Done * 100) / run.Total)) : 0;
    if (bar) bar.value = pct;
    setText("progress-text", run.Phase + ": " + run.Done + (run.Total ? " / " + run.Total : ""));
  }

  async function refresh() {
    try {
      const r = await fetch("/api/status?tenant=" + encodeURIComponent(tenant), { cache: "no-store" });
      if (r.ok) {
        const body = await r.json();
        if (body.tenants && body.tenants.length) render(body.tenants[0]);
      }
    } catch (e) {
      // the service is restarting: try again at the next tick
    }
  }

  function unlocked(on) {
    show("unlock", !on);
    show("token-form", false);
    show("op-buttons", on);
  }

  async function run(op) {
    const token = sessionStorage.getItem(tokenKey);
    if (!token) { unlocked(false); return; }
    setText("op-message", op + "…");
    try {
      const r = await fetch("/api/" + op + "?tenant=" + encodeURIComponent(tenant), {
        method: "POST", headers: { "Authorization": "Bearer " + token }, cache: "no-store",
      });
      const body = await r.json().catch(() => ({}));
      if (r.ok) {
        setText("op-message", op + ": accepted");
      } else {
        if (r.status === 401) { sessionStorage.removeItem(tokenKey); unlocked(false); }
        setText("op-message", op + " refused (" + r.status + "): " + (body.error || r.statusText));
      }
    } catch (e) {
      setText("op-message", op + ": the service did not answer");
    }
    refresh();
  }

  function init() {
    if (!tenant) return;
    if (body.dataset.writable === "true") {
      unlocked(!!sessionStorage.getItem(tokenKey));
    } else {
      show("unlock", false);
      setText("op-message", "Operations are disabled: the service has no admin token.");
    }
    $("unlock")?.addEventListener("click", () => { show("unlock", false); show("token-form", true); $("token").focus(); });
    $("token-form")?.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const v = $("token").value.trim();
      $("token").value = "";
      if (v) { sessionStorage.setItem(tokenKey, v); unlocked(true); setText("op-message", ""); }
    });
    $("lock")?.addEventListener("click", () => { sessionStorage.removeItem(tokenKey); unlocked(false); });
    document.querySelectorAll("button.op").forEach((b) => b.addEventListener("click", () => run(b.dataset.op)));
    refresh();
    setInterval(refresh, poll);
  }
  init();
})();
