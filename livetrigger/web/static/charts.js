"use strict";
// The dashboard's charts (issue 26): the session over time from /api/series, kept up to date by
// the "series" messages of the page's live feed (app.js hands them over as DOM events). Drawn
// here as inline SVG: no library, nothing from elsewhere. What is shown is numbers and the
// config's rule ids, written as text, never as markup.
(() => {
  const NS = "http://www.w3.org/2000/svg";
  const $ = (id) => document.getElementById(id);
  const COLUMN_PX = 4;  // the narrowest column: at a coarser scale buckets are added up
  const data = { step: 10, span: 4 * 3600, now: 0, rooms: {} };
  let api = null;
  let shown = null;  // the room whose charts are shown
  let pending = false;
  let columns = [];  // what the last drawing shows, for a tap's note
  let scale = null;

  function node(tag, attrs, text) {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = String(text);
    return e;
  }

  // made once: a formatter per call (toLocaleString) costs more than drawing the bar
  const minutes = new Intl.DateTimeFormat([], { hour: "2-digit", minute: "2-digit" });
  const seconds = new Intl.DateTimeFormat([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  const numbers = new Intl.NumberFormat();
  const clock = (t, exact) => (exact ? seconds : minutes).format(new Date(t * 1000));
  const number = (n) => numbers.format(Math.round(n));
  const ms = (n) => (n < 10 ? n.toFixed(1) : number(n)) + " ms";

  // -- the data: all of it when the feed (re)opens, then the pushed buckets ------------------

  async function load() {
    const got = await api("/api/series");
    Object.assign(data, { step: got.step, span: got.span, now: got.now, rooms: got.rooms || {} });
    redraw();
  }

  function merge(msg) {
    let room = data.rooms[msg.room];
    if (!room || room.session !== msg.session || room.start !== msg.start) {
      room = data.rooms[msg.room] = { session: msg.session, start: msg.start, buckets: [] };
    }
    room.ended = msg.ended;
    const list = room.buckets;
    for (const b of msg.buckets) {  // newest last: replace the bucket of its time, or add it
      let i = list.length - 1;
      while (i >= 0 && list[i].t > b.t) i--;
      if (i >= 0 && list[i].t === b.t) list[i] = b; else list.splice(i + 1, 0, b);
    }
    const oldest = list.length ? list[list.length - 1].t - data.span : 0;
    while (list.length && list[0].t <= oldest) list.shift();
    data.now = Math.max(data.now, msg.now);
    redraw();
  }

  // -- binning: one column per bucket, or per several when the session is long --------------

  function binned(room, x0, x1, width) {
    const step = data.step;
    const per = Math.max(1, Math.ceil((x1 - x0) / step / Math.max(1, Math.floor(width / COLUMN_PX))));
    const size = step * per;
    const out = new Map();
    for (const b of room.buckets) {
      if (b.t + step <= x0) continue;
      const t = Math.floor(b.t / size) * size;
      let c = out.get(t);
      if (!c) {
        c = { t, size, diamonds: 0, likes: 0, viewers: null, actions: 0, p50: null, p99: null, fired: {}, other: 0 };
        out.set(t, c);
      }
      c.diamonds += b.diamonds;
      c.likes += b.likes;
      if (b.viewers !== null) c.viewers = b.viewers;  // the last count seen in it
      c.actions += b.actions;
      // several buckets in one column: the worst of them (a chart at a glance hides nothing)
      if (b.p50 !== null) c.p50 = Math.max(c.p50 ?? 0, b.p50);
      if (b.p99 !== null) c.p99 = Math.max(c.p99 ?? 0, b.p99);
      for (const [rule, n] of Object.entries(b.fired)) c.fired[rule] = (c.fired[rule] || 0) + n;
      c.other += b.other;
    }
    return [...out.values()];
  }

  function top(max) {  // a round number at or above max, for the axis
    if (max <= 0) return 1;
    const p = 10 ** Math.floor(Math.log10(max));
    return [1, 2, 5, 10].map((m) => m * p).find((v) => v >= max);
  }

  function fired(c) {
    const names = Object.entries(c.fired).map(([rule, n]) => (n > 1 ? `${rule} ×${n}` : rule));
    if (c.other) names.push(`${c.other} more`);
    return names.join(", ");
  }

  // -- drawing ----------------------------------------------------------------------------

  // at most once a frame, and after a slow drawing (hours of session on a slow phone) wait 20
  // times as long: the charts never take more than a twentieth of the page's time
  let cost = 0, drawn = 0;
  function redraw() {
    if (pending) return;
    pending = true;
    setTimeout(() => requestAnimationFrame(() => {
      pending = false;
      const began = performance.now();
      draw();
      drawn = performance.now();
      cost = drawn - began;
    }), Math.max(0, drawn + 20 * cost - performance.now()));
  }

  let listed = null;
  function picker(names) {  // rebuilt only when the rooms change: an open menu stays open
    if (listed === names.join("\n")) return;
    listed = names.join("\n");
    const holder = $("chart-rooms");
    holder.replaceChildren();
    holder.hidden = names.length < 2;
    if (names.length < 2) return;
    const select = document.createElement("select");
    select.id = "chart-room";
    for (const name of names) {
      const o = document.createElement("option");
      o.value = name;
      o.textContent = name;
      o.selected = name === shown;
      select.append(o);
    }
    select.addEventListener("change", () => { shown = select.value; draw(); });
    holder.append(select);
  }

  function draw() {
    const root = $("charts");
    const names = Object.keys(data.rooms);
    if (!names.includes(shown)) shown = names.find((n) => data.rooms[n].session) || names[0] || null;
    picker(names);
    const room = shown && data.rooms[shown];
    if (!room || !room.session) {
      root.replaceChildren();
      $("chart-status").textContent = "No live session yet: the charts begin with the stream.";
      return;
    }
    const list = room.buckets;
    const last = list.length ? list[list.length - 1].t + data.step : room.start;
    const x1 = Math.max(room.ended || Math.max(data.now, last), room.start + 60);
    const x0 = Math.max(room.start, x1 - data.span);
    const width = Math.max(200, Math.floor(root.clientWidth));
    const cols = binned(room, x0, x1, width);
    columns = cols;
    scale = { x0, x1, width };
    const x = (t) => ((Math.min(x1, Math.max(x0, t)) - x0) / (x1 - x0)) * width;
    const firedAt = cols.filter((c) => Object.keys(c.fired).length || c.other);

    const sum = (key) => list.reduce((n, b) => n + b[key], 0);
    const viewers = list.filter((b) => b.viewers !== null);
    const timed = list.filter((b) => b.p50 !== null);
    const recent = timed.length ? timed[timed.length - 1] : null;
    const firings = list.reduce((n, b) => n + Object.values(b.fired).reduce((a, v) => a + v, 0) + b.other, 0);
    const status = room.ended ? `ended ${clock(room.ended)}` : "live";
    $("chart-status").textContent = `Since ${clock(room.start)}, ${status}` + (room.start < x0 ? " (the last 4 h)" : "");

    root.replaceChildren(
      chart("diamonds", "Diamonds", `${number(sum("diamonds"))} in all`, cols, x, firedAt, { bars: ["diamonds"] }),
      chart("likes", "Likes", `${number(sum("likes"))} in all`, cols, x, firedAt, { bars: ["likes"] }),
      chart("viewers", "Viewers", viewers.length
        ? `${number(viewers[viewers.length - 1].viewers)} now, peak ${number(Math.max(...viewers.map((b) => b.viewers)))}`
        : "none counted yet", cols, x, firedAt, { lines: ["viewers"], carry: true }),
      marks(firedAt, firings, x),
      chart("latency", "Action latency", recent
        ? `p50 ${ms(recent.p50)} · p99 ${ms(recent.p99)} at ${clock(recent.t)}`
        : "no action yet", cols, x, [], { lines: ["p50", "p99"], unit: " ms", axis: true }),
    );
  }

  function frame(id, title, summary) {
    const figure = document.createElement("figure");
    figure.className = "chart";
    figure.id = `chart-${id}`;
    const caption = document.createElement("figcaption");
    const name = document.createElement("strong");
    name.textContent = title;
    const said = document.createElement("span");
    said.className = "muted";
    said.textContent = ` · ${summary}`;
    caption.append(name, said);
    figure.append(caption);
    return figure;
  }

  function chart(id, title, summary, cols, x, firedAt, how) {
    const figure = frame(id, title, summary);
    const width = scale.width, plot = 64, height = plot + (how.axis ? 16 : 4);
    const svg = node("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": `${title}: ${summary}` });
    const keys = how.bars || how.lines;
    const max = top(Math.max(0, ...cols.flatMap((c) => keys.map((k) => c[k] ?? 0))));
    const y = (v) => plot - (v / max) * (plot - 12);
    svg.append(node("line", { x1: 0, x2: width, y1: plot, y2: plot, class: "base" }));
    // one path for many shapes: a session of hours is hundreds of columns, redrawn each second
    if (firedAt.length) {  // where rules fired, across every stream chart
      const lines = firedAt.map((c) => `M${x(c.t + c.size / 2).toFixed(1)},0V${plot}`);
      svg.append(node("path", { d: lines.join(""), class: "fire-line" }));
    }
    let points = 0;
    for (const key of how.bars || []) {
      let bars = "";
      for (const c of cols) {
        if (!c[key]) continue;
        const left = x(c.t), w = Math.max(1, x(c.t + c.size) - left - 1);
        bars += `M${left.toFixed(1)},${plot}V${y(c[key]).toFixed(1)}h${w.toFixed(1)}V${plot}z`;
        points++;
      }
      svg.append(node("path", { d: bars, class: `bar ${key}` }));
    }
    for (const key of how.lines || []) {
      let carried = null;
      const values = cols.map((c) => {
        if (c[key] !== null) carried = c[key];
        return how.carry ? carried : c[key];  // a viewer count holds until the next one
      });
      let path = "";
      values.forEach((v, i) => {
        if (v === null) return;
        const c = cols[i], px = x(c.t + c.size / 2), py = y(v);
        // a line crosses a quiet stretch only where the value holds (viewers)
        const joins = (j) => values[j] !== null && (how.carry || cols[j].t + cols[j].size >= cols[j + 1].t);
        path += `${i && joins(i - 1) ? "L" : "M"}${px.toFixed(1)},${py.toFixed(1)}`;
        if (c[key] === null) return;
        points++;
        const alone = (i === 0 || !joins(i - 1)) && (i === values.length - 1 || !joins(i));
        if (alone || cols.length < 60) svg.append(node("circle", { cx: px, cy: py, r: 2, class: `dot ${key}` }));
      });
      svg.append(node("path", { d: path, class: `line ${key}` }));
    }
    svg.append(node("text", { x: 2, y: 10, class: "axis" }, number(max) + (how.unit || "")));
    if (how.axis) axis(svg, width, height - 3);
    if (how.lines && how.lines.length > 1) {
      let at = width - 2;
      for (const key of [...how.lines].reverse()) {
        const label = node("text", { x: at, y: 10, class: `axis legend ${key}`, "text-anchor": "end" }, key);
        svg.append(label);
        at -= 8 * key.length + 6;
      }
    }
    svg.dataset.points = String(points);
    figure.append(svg);
    return figure;
  }

  function axis(svg, width, y) {
    svg.append(node("text", { x: 2, y, class: "axis" }, clock(scale.x0)));
    svg.append(node("text", { x: width - 2, y, class: "axis", "text-anchor": "end" }, clock(scale.x1)));
  }

  function marks(firedAt, firings, x) {
    const figure = frame("fired", "Rules fired", firings ? `${number(firings)} (tap a mark)` : "none yet");
    const width = scale.width, height = 40;
    const svg = node("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": "rules fired" });
    svg.append(node("line", { x1: 0, x2: width, y1: 12, y2: 12, class: "base" }));
    for (const c of firedAt) {
      const n = Object.values(c.fired).reduce((a, v) => a + v, 0) + c.other;
      const r = Math.min(8, 3 + Math.log2(n));
      const cx = Math.min(width - r, Math.max(r, x(c.t + c.size / 2)));  // whole, at either end
      const mark = node("circle", { cx, cy: 12, r, class: "mark", tabindex: 0 });
      mark.dataset.rules = Object.keys(c.fired).join(",");
      mark.append(node("title", {}, `${clock(c.t, true)}: ${fired(c)}`));
      svg.append(mark);
    }
    axis(svg, width, height - 3);
    svg.dataset.points = String(firedAt.length);
    figure.append(svg);
    return figure;
  }

  // a tap (or click) on a chart says what happened in that column: phones have no hover
  function note(event) {
    const svg = event.target.closest && event.target.closest("#charts svg");
    if (!svg || !scale || !columns.length) return;
    const box = svg.getBoundingClientRect();
    const t = scale.x0 + ((event.clientX - box.left) / box.width) * (scale.x1 - scale.x0);
    const near = columns.reduce((a, c) => (Math.abs(c.t + c.size / 2 - t) < Math.abs(a.t + a.size / 2 - t) ? c : a));
    const parts = [`${clock(near.t, true)}–${clock(near.t + near.size, true)}`,
      `${number(near.diamonds)} diamonds`, `${number(near.likes)} likes`];
    if (near.viewers !== null) parts.push(`${number(near.viewers)} viewers`);
    if (near.p50 !== null) parts.push(`latency p50 ${ms(near.p50)}, p99 ${ms(near.p99)}`);
    const rules = fired(near);
    $("chart-note").textContent = parts.join(" · ") + (rules ? ` · fired: ${rules}` : "");
  }

  document.addEventListener("livetrigger:live", (e) => {
    api = e.detail.api;
    load().catch((err) => { $("chart-status").textContent = `charts: ${err.message || err}`; });
  });
  document.addEventListener("livetrigger:series", (e) => merge(e.detail));
  document.addEventListener("click", note);
  document.addEventListener("mousemove", note);  // hover, where there is a mouse
  let width = 0;
  window.addEventListener("resize", () => {
    const now = $("charts").clientWidth;
    if (now !== width) { width = now; redraw(); }
  });
})();
