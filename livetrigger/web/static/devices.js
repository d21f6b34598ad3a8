"use strict";
// The Devices panel (issue 28): each device of `devices:` (lights, DMX, OSC, ...) as the
// daemon's status has it, redrawn with each status the page fetches (app.js hands it over as
// a "livetrigger:state" DOM event). Everything is written as text: a reason is whatever the
// network or a library said.
(() => {
  const $ = (id) => document.getElementById(id);
  const LOOK = { "ok": "ok", "away": "bad", "never connected": "muted" };

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }

  // under the name: why it is away, since when, and what the counts below do not say
  function detail(d) {
    const parts = [];
    if (d.reason) parts.push(d.reason);
    if (d.state === "never connected") parts.push("nothing sent yet");
    else if (d.since) parts.push(`since ${new Date(d.since * 1000).toLocaleTimeString()}`);
    if (d.retries) parts.push(`${d.retries} ${d.retries === 1 ? "retry" : "retries"}`);
    if (d.limited) parts.push(`${d.limited} refused by max_per_minute`);
    return parts.join(" · ");
  }

  function render(devices) {
    const names = Object.keys(devices || {});
    $("devices-section").hidden = names.length === 0;  // no devices: no panel
    const list = $("devices"); list.replaceChildren();
    for (const name of names) {
      const d = devices[name];
      const row = el("div", null, "device");
      row.dataset.device = name;
      row.dataset.state = d.state;
      row.append(el("strong", name), " ", el("span", d.kind, "muted"), " ",
        el("span", d.state, "device-state " + (LOOK[d.state] || "")));
      if (d.playing) row.append(" ", el("span", "playing an alert", "muted"));
      const why = detail(d);
      if (why) row.append(el("div", why, "muted device-detail"));
      // names the rules use that the device lacks (the start-up probe), one line each
      for (const said of d.unknown || []) row.append(el("div", said, "bad device-unknown"));
      const counts = el("div", null, "muted device-counts");
      counts.textContent = ["sent", "failures", "dropped", "queued"]
        .map((k) => `${k === "failures" ? "failed" : k} ${d[k] || 0}`).join(" · ");
      for (const k of ["sent", "failures", "dropped", "queued"]) counts.dataset[k] = String(d[k] || 0);
      row.append(counts);
      list.append(row);
    }
  }

  document.addEventListener("livetrigger:state", (e) => render(e.detail.devices));
})();
