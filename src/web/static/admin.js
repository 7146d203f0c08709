/* Wolfit ops: the dashboard's script. Three jobs, each optional (the pages work without it):
 * 1. The overview polls /api/ops/overview and updates its numbers, charts and alerts in place.
 * 2. A job page that is still queued or running polls its job and reloads when it changes.
 * 3. Action forms (abort, retry, retry all, delete, enqueue) call the ops API with the
 *    session's CSRF token in the X-CSRF-Token header, then refresh or follow the result.
 */
(function () {
  "use strict";

  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var CSRF = csrfMeta ? csrfMeta.getAttribute("content") : "";
  var NOTICE_KEY = "wolfit-admin-notice";

  // Formatting, as the server's Jinja filters do it (src/web/admin/formatting.py).
  function count(value) {
    return value === null || value === undefined ? "\u2013" : Number(value).toLocaleString("en-US");
  }
  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "\u2013";
    if (seconds < 1) return Math.round(seconds * 1000) + " ms";
    if (seconds < 60) return seconds.toFixed(1) + " s";
    if (seconds < 3600) return Math.floor(seconds / 60) + " min " + Math.floor(seconds % 60) + " s";
    return Math.floor(seconds / 3600) + " h " + Math.floor((seconds % 3600) / 60) + " min";
  }
  function clock(iso) {
    return iso ? iso.slice(0, 19).replace("T", " ") : "\u2013";
  }
  function pick(data, path) {
    return path.split(".").reduce(function (value, key) {
      return value === null || value === undefined ? undefined : value[key];
    }, data);
  }
  function el(tag, attrs, text) {
    var node = document.createElementNS(
      tag === "svg" || ["rect", "line", "text", "polyline", "circle", "title"].indexOf(tag) >= 0
        ? "http://www.w3.org/2000/svg" : "http://www.w3.org/1999/xhtml", tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // Charts: the same geometry as src/web/admin/charts.py.
  var W = 640, H = 200, LEFT = 52, RIGHT = 8, TOP = 10, BOTTOM = 24;
  var PLOT_W = W - LEFT - RIGHT, PLOT_H = H - TOP - BOTTOM;
  function niceCeiling(value) {
    if (value <= 0) return 1;
    var power = Math.pow(10, Math.floor(Math.log10(value)));
    var steps = [1, 2, 5, 10];
    for (var i = 0; i < steps.length; i++) if (value <= steps[i] * power + 1e-9) return steps[i] * power;
    return 10 * power;
  }
  function short(value) {
    return value < 10000 ? String(+value.toPrecision(6)) : +(value / 1000).toPrecision(6) + "k";
  }
  function frame(svg, top, unit, minutes, scale) {
    scale = scale || 1;
    [0, 0.5, 1].forEach(function (share) {
      var y = (TOP + PLOT_H * (1 - share)).toFixed(1);
      svg.appendChild(el("line", { "class": "grid", x1: LEFT, x2: W - RIGHT, y1: y, y2: y }));
      svg.appendChild(el("text", { "class": "axis", x: LEFT - 6, y: (+y + 4).toFixed(1), "text-anchor": "end" },
        short(top * share / scale) + (share ? unit : "")));
    });
    svg.appendChild(el("text", { "class": "axis", x: LEFT, y: H - 6 }, minutes + " min ago"));
    svg.appendChild(el("text", { "class": "axis", x: W - RIGHT, y: H - 6, "text-anchor": "end" }, "now"));
  }
  function emptySvg(holder) {
    var svg = holder.querySelector("svg");
    var title = svg.querySelector("title");
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    if (title) svg.appendChild(title);
    return svg;
  }
  function drawThroughput(holder, series) {
    var svg = emptySvg(holder);
    var parts = [["done", "bar-done"], ["retried", "bar-retried"], ["failed", "bar-failed"]];
    var top = niceCeiling(Math.max.apply(null, [0].concat(series.map(function (m) {
      return m.done + m.retried + m.failed;
    }))));
    var slot = PLOT_W / Math.max(series.length, 1);
    frame(svg, top, "/min", series.length);
    series.forEach(function (minute, index) {
      var x = LEFT + index * slot + slot * 0.1, base = 0;
      parts.forEach(function (part) {
        var value = minute[part[0]];
        if (value <= 0) return;
        var height = PLOT_H * value / top;
        var rect = el("rect", {
          "class": part[1], x: x.toFixed(1), y: (TOP + PLOT_H - PLOT_H * base / top - height).toFixed(1),
          width: (slot * 0.8).toFixed(1), height: height.toFixed(1)
        });
        rect.appendChild(el("title", {}, value + " " + part[0]));
        svg.appendChild(rect);
        base += value;
      });
    });
  }
  function drawLatency(holder, series) {
    var svg = emptySvg(holder);
    var values = series.map(function (m) { return m.mean_latency === null ? null : m.mean_latency * 1000; });
    var top = niceCeiling(Math.max.apply(null, [0].concat(values.filter(function (v) { return v !== null; }))));
    var slot = PLOT_W / Math.max(series.length, 1);
    if (top >= 1000) frame(svg, top, " s", series.length, 1000);
    else frame(svg, top, " ms", series.length, 1);
    var segment = [];
    values.concat([null]).forEach(function (value, index) {
      if (value === null) {
        if (segment.length) svg.appendChild(el("polyline", { "class": "line", points: segment.join(" ") }));
        segment = [];
        return;
      }
      var x = (LEFT + index * slot + slot / 2).toFixed(1);
      var y = (TOP + PLOT_H - PLOT_H * Math.min(value, top) / top).toFixed(1);
      segment.push(x + "," + y);
      var dot = el("circle", { "class": "dot", cx: x, cy: y, r: 2.5 });
      dot.appendChild(el("title", {}, value.toFixed(1) + " ms"));
      svg.appendChild(dot);
    });
  }

  // 1. The overview.
  var TONES = {
    "last_hour.failed": function (v) { return v > 0 ? "bad" : ""; },
    "queue.dead_letters": function (v) { return v > 0 ? "bad" : ""; },
    "queue.live_workers": function (v) { return v > 0 ? "" : "bad"; },
    "alerts.open": function (v) { return v > 0 ? "bad" : ""; },
    "last_hour.done": function () { return "good"; }
  };
  function setTone(node, tone) {
    node.classList.remove("good", "bad");
    if (tone) node.classList.add(tone);
  }
  function updateOverview(data) {
    document.querySelectorAll("[data-field]").forEach(function (node) {
      var field = node.getAttribute("data-field");
      if (field.indexOf("activity.") === 0) return;
      var value = pick(data, field);
      node.textContent = field === "queue.oldest_ready_age" ? duration(value) : count(value);
      var stat = node.closest("[data-stat]");
      if (stat && TONES[field]) setTone(stat, TONES[field](value));
    });
    var activity = data.activity;
    var state = document.querySelector('[data-field="activity.state"]');
    var detail = document.querySelector('[data-field="activity.detail"]');
    if (state && detail) {
      state.textContent = !activity ? "not checked yet" : activity.ok ? "healthy" : "unhealthy";
      detail.textContent = activity
        ? duration(activity.latency) + (activity.error ? " \u00b7 " + activity.error : "")
        : "no health check recorded";
      detail.title = activity && activity.error ? activity.error : "";
      setTone(state.closest("[data-stat]"), activity && activity.ok ? "good" : "bad");
    }
    var throughput = document.getElementById("chart-throughput");
    if (throughput) drawThroughput(throughput, data.series);
    var latency = document.getElementById("chart-latency");
    if (latency) drawLatency(latency, data.series);
    var list = document.getElementById("open-alerts");
    if (list) {
      list.textContent = "";
      data.alerts.items.forEach(function (alert) {
        var item = el("li", { "class": "alert-item kind-" + alert.kind });
        item.appendChild(el("span", { "class": "badge" }, alert.kind.replace(/_/g, " ")));
        item.appendChild(document.createTextNode(" " + alert.message + " "));
        item.appendChild(el("span", { "class": "muted small" }, "since " + clock(alert.raised_at)));
        list.appendChild(item);
      });
      if (!data.alerts.items.length) list.appendChild(el("li", { "class": "muted empty" }, "No open alerts."));
    }
    var more = document.getElementById("open-alerts-more");
    if (more) {
      var shown = data.alerts.items.length;
      more.hidden = data.alerts.open <= shown;
      more.textContent = "The newest " + shown + " of " + count(data.alerts.open) + " open alerts: " +
        Object.keys(data.alerts.by_kind).map(function (kind) {
          return count(data.alerts.by_kind[kind]) + " " + kind.replace(/_/g, " ");
        }).join(", ") + ".";
    }
    var stamp = document.getElementById("generated-at");
    if (stamp) {
      stamp.textContent = clock(data.generated_at);
      stamp.setAttribute("datetime", data.generated_at);
    }
  }
  // Polls on a fixed period: the next request starts `every` ms after the previous one
  // started (at once if that one took longer), so a slow answer never stretches the
  // period past the limit, and requests never overlap.
  function pollOverview(live) {
    var url = live.getAttribute("data-overview");
    var every = Math.min(Number(live.getAttribute("data-poll-ms")) || 2000, 2000);
    var label = live.querySelector("span:last-child");
    var ok = label.innerHTML;
    function tick() {
      var started = Date.now();
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          return response.json().then(function (body) {
            if (!response.ok) throw new Error(body.error || "HTTP " + response.status);
            return body;
          });
        })
        .then(function (data) {
          if (live.classList.contains("stale")) {
            live.classList.remove("stale");
            label.innerHTML = ok;
          }
          updateOverview(data);
        })
        .catch(function (error) {
          live.classList.add("stale");
          label.textContent = "Not updating: " + error.message;
        })
        .then(function () { setTimeout(tick, Math.max(0, started + every - Date.now())); });
    }
    setTimeout(tick, every);
  }

  // 2. A job that is still on its way: reload its page when its status changes.
  function watchJob(holder) {
    var status = holder.getAttribute("data-status");
    if (["queued", "deferred", "in_progress"].indexOf(status) < 0) return;
    var url = holder.getAttribute("data-job");
    function tick() {
      fetch(url, { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (job) {
          if (job && job.status !== status) window.location.reload();
          else setTimeout(tick, 1000);
        })
        .catch(function () { setTimeout(tick, 2000); });
    }
    setTimeout(tick, 1000);
  }

  // 3. Action forms through the ops API.
  function noticeFor(body) {
    if (!body || typeof body !== "object") return "Done.";
    if (body.function && body.job_id && "args" in body) {
      return "Queued " + body.function + " as job " + body.job_id + ".";
    }
    if ("requeued" in body) return "Event " + body.id + (body.requeued ? " queued again" : " already queued") + "; this page shows its delivery.";
    if ("retried" in body) return body.retried + " dead letters queued again." + (body.remaining ? " " + body.remaining + " left: retry all again." : "");
    if (body.deleted) return "Dead letter " + body.id + " deleted.";
    if (body.outcome) {
      var words = { removed: "was taken off the queue", aborted: "was aborted while running" };
      return "Job " + body.job_id + " " + (words[body.outcome] || String(body.outcome).replace(/_/g, " ")) +
        "." + (body.unreadable ? " Its payload could not be decoded, so nothing was kept of it."
          : body.parked ? " Its event is in the dead letters." : "");
    }
    return "Done.";
  }
  function showError(form, message) {
    var old = form.querySelector(".action-error");
    if (old) old.remove();
    form.appendChild(el("span", { "class": "action-error", role: "alert" }, message));
  }
  function jsonBody(form) {
    var body = {};
    (form.getAttribute("data-json") || "").split(",").filter(Boolean).forEach(function (name) {
      var field = form.elements[name];
      if (!field) return;
      if (name === "args") {
        try { body.args = JSON.parse(field.value || "[]"); }
        catch (error) { throw new Error("The arguments are not valid JSON: " + error.message); }
      } else body[name] = field.value;
    });
    return body;
  }
  function callApi(url, init) {
    return fetch(url, init).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (!response.ok) throw new Error(body.error || "The server answered " + response.status + ".");
        return body;
      });
    });
  }
  // Retry all: the server retries one bounded batch a call (so no call is slow) and says
  // how many remain; call again until none do, at most as many times as the first answer
  // needs (events that fail again are parked again, and must not keep this going).
  function inBatches(form, url, init) {
    var total = { retried: 0, already_queued: 0, remaining: 0 };
    var calls = 0, most = 1;
    function step() {
      return callApi(url, init).then(function (body) {
        var done = body.retried + body.already_queued;
        total.retried += body.retried;
        total.already_queued += body.already_queued;
        total.remaining = body.remaining;
        calls += 1;
        if (calls === 1 && done) most = Math.ceil(body.remaining / done) + 1;
        if (!body.remaining || !done || calls > most) return total;
        showProgress(form, count(total.retried) + " queued again, " + count(body.remaining) + " left\u2026");
        return step();
      });
    }
    return step();
  }
  function showProgress(form, text) {
    var node = form.querySelector(".action-progress");
    if (!node) node = form.appendChild(el("span", { "class": "action-progress muted small", role: "status" }));
    node.textContent = " " + text;
  }
  function submitAction(event) {
    var form = event.target.closest("form[data-api]");
    if (!form) return;
    event.preventDefault();
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) return;
    var init = {
      method: form.getAttribute("data-method") || "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": CSRF, Accept: "application/json" }
    };
    if (form.hasAttribute("data-json")) {
      try { init.body = JSON.stringify(jsonBody(form)); }
      catch (error) { showError(form, error.message); return; }
      init.headers["Content-Type"] = "application/json";
    }
    var button = form.querySelector("button");
    if (button) button.disabled = true;
    var url = form.getAttribute("data-api");
    (form.hasAttribute("data-batches") ? inBatches(form, url, init) : callApi(url, init))
      .then(function (body) {
        sessionStorage.setItem(NOTICE_KEY, noticeFor(body));
        var then = form.getAttribute("data-then");
        if (body.outcome === "removed" && !body.parked && form.hasAttribute("data-gone")) {
          then = form.getAttribute("data-gone");
        }
        if (then) window.location.assign(then.replace("__job_id__", encodeURIComponent(body.job_id || "")));
        else window.location.reload();
      })
      .catch(function (error) {
        if (button) button.disabled = false;
        showError(form, error.message);
      });
  }
  function showStoredNotice() {
    var text = sessionStorage.getItem(NOTICE_KEY);
    if (!text) return;
    sessionStorage.removeItem(NOTICE_KEY);
    var main = document.querySelector(".admin-main");
    if (main) main.insertBefore(el("p", { "class": "notice", role: "status" }, text), main.firstChild);
  }

  showStoredNotice();
  document.addEventListener("submit", submitAction);
  var live = document.getElementById("live");
  if (live) pollOverview(live);
  var job = document.getElementById("job-status");
  if (job) watchJob(job);
})();
