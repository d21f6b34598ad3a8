"use strict";
// The dashboard: everything shown comes from /api/* as JSON and is written with textContent,
// never as HTML: nicknames and comments are whatever viewers typed.
(() => {
  const $ = (id) => document.getElementById(id);
  // `livetrigger status --dashboard` prints the address with #token=…: kept in this tab only,
  // and out of the address bar (and its history) at once
  const linked = new URLSearchParams(location.hash.slice(1)).get("token");
  if (linked) {
    sessionStorage.setItem("livetrigger-token", linked);
    history.replaceState(null, "", location.pathname + location.search);
  }
  let token = document.querySelector('meta[name="livetrigger-token"]').content
    || sessionStorage.getItem("livetrigger-token") || "";
  let selected = null;
  const tests = new Map();  // "room/rule" → the last Test press's answer, kept across renders

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }

  // `answered`: every JSON answer is the caller's to show (a refused test), not an error
  async function api(path, body, answered = false) {
    const init = { headers: { "X-Livetrigger-Token": token } };
    if (body !== undefined) {
      init.method = "POST";
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const r = await fetch(path, init);
    if (r.status === 401) { showLogin(); throw new Error("the dashboard token is needed"); }
    const data = await r.json();
    if (!r.ok && r.status !== 409 && !answered) throw new Error(data.error || r.statusText);
    return data;
  }

  async function test(room, rule) {
    const answer = await api("/api/test", { room, rule }, true);
    tests.set(`${room}/${rule}`, answer);
  }

  function showError(e) { const p = $("error"); p.hidden = !e; p.textContent = e ? String(e.message || e) : ""; }
  function showLogin() { $("login").hidden = false; }

  function button(label, onClick, id) {
    const b = el("button", label);
    b.type = "button";
    if (id) b.id = id;
    b.addEventListener("click", () => onClick().then(refresh).catch(showError));
    return b;
  }

  function ago(t) {
    if (!t) return "never";
    const s = Math.max(0, Date.now() / 1000 - t);
    return s < 60 ? `${s.toFixed(0)} s ago` : s < 3600 ? `${(s / 60).toFixed(0)} min ago` : `${(s / 3600).toFixed(1)} h ago`;
  }

  function render(state) {
    $("version").textContent = `v${state.daemon.version}, up ${Math.round(state.daemon.uptime)} s`;
    const mq = state.mqtt;
    $("mqtt").textContent = !mq.configured ? "no MQTT" : (mq.connected ? "MQTT connected" : "MQTT reconnecting" + (mq.failure ? ` (${mq.failure})` : ""))
      + (mq.home_assistant ? " · Home Assistant on" : "");
    $("mqtt").className = "pill " + (mq.configured && !mq.connected ? "bad" : "ok");
    const pauseAll = $("pause-all");
    pauseAll.textContent = state.daemon.paused ? "Resume all" : "Pause all";
    pauseAll.onclick = () => api("/api/pause", { paused: !state.daemon.paused }).then(refresh).catch(showError);

    const rooms = $("rooms"); rooms.replaceChildren();
    const rules = $("rules"); rules.replaceChildren();
    for (const [name, r] of Object.entries(state.rooms)) {
      const row = el("div", null, "room");
      row.dataset.room = name;
      const what = el("div", null, "grow");
      what.append(el("strong", "@" + (r.username || name)), " ",
        el("span", r.state, r.state === "connected" ? "ok" : "bad"));
      if (r.reason) what.append(el("div", r.reason, "muted"));
      row.append(what,
        button(r.paused ? "Resume" : "Pause", () => api("/api/pause", { room: name, paused: !r.paused })),
        button("Reconnect", () => api("/api/reconnect", { room: name })));
      rooms.append(row);
      for (const rule of r.rules) {
        const line = el("div", null, "rule");
        line.dataset.rule = rule.id;
        const info = el("div", null, "grow");
        info.append(el("strong", rule.id), " ", el("span", "on " + rule.on.join(", "), "muted"));
        if (rule.description) info.append(el("div", rule.description, "muted"));
        const cd = rule.cooldown_left > 0 ? ` · cooldown ${rule.cooldown_left.toFixed(0)} s` : "";
        info.append(el("div", `fired ${rule.fired} · last ${ago(rule.last_fired)}${cd}` + (rule.enabled ? "" : " · disabled"), "muted fired-count"));
        const tested = tests.get(`${name}/${rule.id}`);
        if (tested) {
          const said = el("div", tested.ok ? `✓ ${tested.message}` : `✗ ${tested.error}`, "test-result " + (tested.ok ? "ok" : "bad"));
          said.dataset.outcome = tested.outcome || "";
          info.append(said);
        }
        line.append(info, button("Test", () => test(name, rule.id)));
        rules.append(line);
      }
    }
    const actions = $("actions"); actions.replaceChildren();
    const head = el("tr"); for (const h of ["target", "ok", "failed", "dropped", "queued"]) head.append(el("th", h));
    actions.append(head);
    for (const [t, a] of Object.entries(state.actions)) {
      const tr = el("tr"); tr.append(el("td", t));
      for (const k of ["ok", "failed", "dropped", "queued"]) tr.append(el("td", a[k] || 0));
      actions.append(tr);
    }
    const lat = state.latency_ms || {};
    $("latency").textContent = lat.count ? `latency p50 ${lat.p50.toFixed(1)} ms, p99 ${lat.p99.toFixed(1)} ms over ${lat.count} actions` : "no action yet";
    const outputs = $("outputs"); outputs.replaceChildren();
    const pins = Object.entries(state.gpio || {});
    if (!pins.length) outputs.append(el("li", "no GPIO outputs", "muted"));
    for (const [name, value] of pins) {
      const li = el("li"); li.dataset.output = name;
      li.append(el("strong", name), " ", el("span", value > 0 ? `on (${value})` : "off", value > 0 ? "ok" : "muted"));
      outputs.append(li);
    }
    $("config-path").textContent = state.config_path || "not started from a file";
  }

  function renderConfig(v) {
    const verdict = $("config-verdict");
    verdict.textContent = v.ok ? "check: OK" : (v.error || "check: problems");
    verdict.className = v.ok ? "ok" : "bad";
    const list = $("config-problems"); list.replaceChildren();
    for (const p of v.problems || []) list.append(el("li", p));
  }

  function describe(item) {
    const e = item.event, u = e.user || {};
    const who = u.nickname || u.unique_id || "";
    switch (item.kind) {
      case "gift": return `${who} sent ${e.repeat_count}× ${e.gift_name} (${e.total_diamonds} 💎, ${e.streak})`;
      case "chat": return `${who}: ${e.text}`;
      case "like": return `${who} +${e.count} likes (total ${e.total})`;
      case "viewers": return `${e.viewers} viewers`;
      default: return who ? `${item.kind}: ${who}` : item.kind;
    }
  }

  const seen = new Set();

  function addFeed(item) {
    if (seen.has(item.id)) return;  // the stream and the first fetch may overlap
    seen.add(item.id);
    const li = el("li", null, item.fired && item.fired.length ? "fired" : "");
    li.dataset.id = item.id;
    li.dataset.kind = item.kind;
    li.append(el("span", new Date(item.event.received_at * 1000 || Date.now()).toLocaleTimeString() + " ", "muted"),
      el("span", describe(item)));
    if (item.fired && item.fired.length) li.append(el("span", " → " + item.fired.join(", "), "muted"));
    li.addEventListener("click", () => explain(item, li));
    if (item.fired && item.fired.length) refresh().catch(showError);  // counts, pins, actions
    const feed = $("feed");
    const newer = [...feed.children].find((c) => Number(c.dataset.id) < item.id);
    feed.insertBefore(li, newer || null);
    while (feed.children.length > 200) feed.lastChild.remove();
  }

  async function explain(item, li) {
    for (const s of document.querySelectorAll("#feed li.selected")) s.classList.remove("selected");
    li.classList.add("selected");
    selected = item.id;
    const data = await api(`/api/explain/${item.id}`).catch((e) => { showError(e); return null; });
    if (!data || selected !== item.id) return;
    $("explain").hidden = false;
    // the verdicts as they stood when the event arrived (kept by the daemon), not as now
    const then = data.at ? ` (as it stood at ${new Date(data.at * 1000).toLocaleTimeString()})` : "";
    $("explain-title").textContent = `Why, for: ${describe(item)}${then}`;
    const list = $("verdicts"); list.replaceChildren();
    for (const v of data.verdicts) {
      const li2 = el("li", null, v.fires ? "ok" : "");
      li2.dataset.rule = v.rule;
      li2.dataset.decidedBy = v.decided_by;
      li2.append(el("strong", v.rule), " ", el("span", v.fires ? "✓ " : "✗ "), el("span", v.reason));
      list.append(li2);
    }
  }

  async function refresh() {
    const state = await api("/api/state");
    render(state);
    // the panels of their own files (devices.js) draw from the same status
    document.dispatchEvent(new CustomEvent("livetrigger:state", { detail: state }));
  }

  function stream() {
    const src = new EventSource(`/api/stream?token=${encodeURIComponent(token)}`);
    src.onopen = () => { document.body.dataset.live = "1"; };
    src.onmessage = (m) => addFeed(JSON.parse(m.data));
    // the charts (charts.js): all of the series at each opening, then its pushed news
    src.addEventListener("open", () => document.dispatchEvent(new CustomEvent("livetrigger:live", { detail: { api } })));
    src.addEventListener("series", (m) => document.dispatchEvent(new CustomEvent("livetrigger:series", { detail: JSON.parse(m.data) })));
    src.onerror = () => { document.body.dataset.live = ""; src.close(); setTimeout(stream, 3000); };
  }

  async function start() {
    showError(null);
    try {
      await refresh();
      $("login").hidden = true;
      stream();  // first, so nothing falls between the fetch below and the stream
      for (const item of await api("/api/feed")) addFeed(item);
      renderConfig(await api("/api/config"));
      setInterval(() => refresh().catch(showError), 2000);
    } catch (e) { showError(e); }
  }

  $("reload").addEventListener("click", () => api("/api/reload", {}).then((v) => { renderConfig(v); return refresh(); }).catch(showError));
  $("login").addEventListener("submit", (e) => {
    e.preventDefault();
    token = $("token-input").value;
    sessionStorage.setItem("livetrigger-token", token);
    start();
  });
  if (token) start(); else showLogin();
})();
