// The live operations page: fetches the event's live feed every few seconds and redraws the
// tables from it. Every value is written with textContent, never as HTML.
"use strict";

(function () {
  const state = document.getElementById("live-state");
  if (!state) return;
  const feedUrl = state.dataset.feed;
  const pollMs = Math.max(1000, Number(state.dataset.pollMs) || 5000);
  const $ = (id) => document.getElementById(id);

  function el(tag, text, className) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (className) e.className = className;
    return e;
  }

  function row(cells, attrs) {
    const tr = document.createElement("tr");
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") tr.className = v;
      else tr.dataset[k] = v;
    }
    tr.append(...cells);
    return tr;
  }

  function renderAlerts(rooms) {
    const alerts = rooms
      .filter((r) => r.fill !== "normal")
      .map((r) => el("div", `${r.name}: ${r.warning} (${r.present} of ${r.capacity})`, "alert bad"));
    $("room-alerts").replaceChildren(...alerts);
  }

  function renderRooms(rooms) {
    const rows = rooms.map((r) => {
      const bar = el("td", null, "bar");
      if (r.capacity > 0) {
        const p = document.createElement("progress");
        p.max = r.capacity;
        p.value = Math.min(r.present, r.capacity);
        bar.append(p, " ");
      }
      if (r.percent !== null && r.percent !== undefined) bar.append(`${r.percent}%`);
      return row(
        [
          el("td", r.name, "name"),
          el("td", r.session || "No session", "session"),
          el("td", r.present, "num present"),
          el("td", r.capacity, "num capacity"),
          bar,
          el("td", r.entries, "num entries"),
          el("td", r.exit_scans, "num exits"),
          el("td", r.estimated_exits, "num estimated"),
          el("td", r.warning, "warning"),
        ],
        { class: `fill-${r.fill}`, room: r.name },
      );
    });
    $("rooms").tBodies[0].replaceChildren(...rows);
  }

  function renderAttention(doors) {
    const quiet = doors.filter((d) => d.needs_attention);
    $("attention-none").hidden = quiet.length > 0;
    const rows = quiet.map((d) =>
      row(
        [
          el("td", d.name, "name"),
          el("td", d.room),
          el("td", d.status, "status"),
          el("td", d.last_contact),
          el("td", d.queue_size, "num"),
          el("td", d.app_version),
        ],
        { class: "quiet", door: d.name },
      ),
    );
    $("attention").tBodies[0].replaceChildren(...rows);
  }

  function renderDoors(minutes, doors) {
    const head = $("doors").tHead.rows[0];
    head.replaceChildren(
      el("th", "Door"),
      el("th", "Room"),
      ...minutes.map((m) => el("th", m, "num")),
      el("th", "Last contact"),
    );
    const rows = doors.map((d) =>
      row(
        [
          el("td", d.name, "name"),
          el("td", d.room),
          ...d.per_minute.map((n) => el("td", n, "num rate")),
          el("td", d.last_contact),
        ],
        { door: d.name },
      ),
    );
    $("doors").tBodies[0].replaceChildren(...rows);
  }

  function renderRefused(refused) {
    $("refused-none").hidden = refused.length > 0;
    const rows = refused.map((r) =>
      row([
        el("td", r.time),
        el("td", r.door),
        el("td", r.room),
        el("td", r.attendee),
        el("td", r.message, "reason"),
      ]),
    );
    $("refused").tBodies[0].replaceChildren(...rows);
  }

  function render(feed) {
    renderAlerts(feed.rooms);
    renderRooms(feed.rooms);
    renderAttention(feed.doors);
    renderDoors(feed.minutes, feed.doors);
    renderRefused(feed.refused);
    $("live-updated").textContent = feed.updated;
    state.dataset.serverTime = feed.server_time;
  }

  function status(text, stale) {
    $("live-status").textContent = text;
    state.classList.toggle("stale", stale);
  }

  let polls = 0;

  async function poll() {
    let stop = false;
    try {
      const res = await fetch(feedUrl, {
        headers: { Accept: "application/json" },
        cache: "no-store",
        credentials: "same-origin",
      });
      if (res.status === 401) {
        status("Signed out: sign in again to see live numbers", true);
        stop = true;
      } else if (res.status === 403 || res.status === 404) {
        status("This page is no longer available to you", true);
        stop = true;
      } else if (!res.ok) {
        status(`The server answered ${res.status}; trying again`, true);
      } else {
        render(await res.json());
        polls += 1;
        state.dataset.polls = String(polls);
        status("refreshes by itself every few seconds", false);
      }
    } catch {
      status("No connection to the server; these numbers may be old", true);
    }
    if (!stop) setTimeout(poll, pollMs);
  }

  setTimeout(poll, pollMs);
})();
