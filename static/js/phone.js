/* The technician's phone (/my/): service worker, offline action queue, position posts.
 *
 * Every action is a plain form the server understands without this script. Here each
 * send gets a fresh client-made action id; without a network the action is kept in
 * IndexedDB and replayed in order when the network returns. The server applies an id
 * once, so a replay after a lost answer is harmless ("already recorded").
 * User text reaches the page through textContent only. */
(function () {
  "use strict";
  const app = document.getElementById("phone");
  if (!app) return;
  const netBanner = document.getElementById("phone-net");
  const queueBanner = document.getElementById("phone-queue");
  const refusedList = document.getElementById("phone-refused");
  const STATUS_LABELS = {
    scheduled: "Scheduled", dispatched: "Dispatched", en_route: "En route", on_site: "On site",
    completed: "Completed", on_hold: "On hold", new: "Back with the dispatcher",
  };

  // Ids ------------------------------------------------------------------------
  function newActionId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, function (x) { return x.toString(16).padStart(2, "0"); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // Messages -------------------------------------------------------------------
  function say(element, text) {
    element.textContent = text;
    element.hidden = !text;
  }
  function flash(text, kind) {
    const box = document.getElementById("messages");
    if (!box) return;
    const div = document.createElement("div");
    div.className = "msg msg-" + (kind || "info");
    div.setAttribute("role", "status");
    div.textContent = text;
    box.replaceChildren(div);
  }
  const REFUSED_KEY = "fieldops-phone-refused";
  const DONE_KEY = "fieldops-phone-done";
  function showDone() {
    let text = null;
    try { text = sessionStorage.getItem(DONE_KEY); sessionStorage.removeItem(DONE_KEY); } catch (e) { return; }
    if (text) flash(text, "success");
  }
  function refusedMessages() {
    try { return JSON.parse(localStorage.getItem(REFUSED_KEY) || "[]"); } catch (e) { return []; }
  }
  function showRefused() {
    const items = refusedMessages();
    refusedList.replaceChildren();
    items.forEach(function (text) {
      const li = document.createElement("li");
      li.textContent = text;
      refusedList.appendChild(li);
    });
    if (items.length) {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "link";
      button.textContent = "OK, dismiss";
      button.addEventListener("click", function () { localStorage.removeItem(REFUSED_KEY); showRefused(); });
      li.appendChild(button);
      refusedList.appendChild(li);
    }
    refusedList.hidden = !items.length;
  }
  function addRefused(text) {
    const items = refusedMessages();
    items.push(text);
    localStorage.setItem(REFUSED_KEY, JSON.stringify(items.slice(-20)));
    showRefused();
  }

  // The queue (IndexedDB) ------------------------------------------------------
  let dbPromise = null;
  function db() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        const open = indexedDB.open("fieldops-phone", 1);
        open.onupgradeneeded = function () { open.result.createObjectStore("actions", { keyPath: "seq", autoIncrement: true }); };
        open.onsuccess = function () { resolve(open.result); };
        open.onerror = function () { reject(open.error); };
      });
    }
    return dbPromise;
  }
  function store(mode, work) {
    return db().then(function (database) {
      return new Promise(function (resolve, reject) {
        const tx = database.transaction("actions", mode);
        const result = work(tx.objectStore("actions"));
        tx.oncomplete = function () { resolve(result && "result" in result ? result.result : undefined); };
        tx.onerror = function () { reject(tx.error); };
      });
    });
  }
  function queued() { return store("readonly", function (s) { return s.getAll(); }); }
  function enqueue(entry) { return store("readwrite", function (s) { return s.add(entry); }); }
  function dequeue(seq) { return store("readwrite", function (s) { return s.delete(seq); }); }

  function formEntry(form) {
    const data = new FormData(form);
    // The page's token may be stale by the time a queued action is sent: the header
    // carries the current one.
    data.delete("csrfmiddlewaretoken");
    data.set("action_id", newActionId());
    const fields = [], files = [];
    data.forEach(function (value, key) {
      if (value instanceof File) { if (value.size) files.push({ key: key, blob: value, name: value.name }); }
      else fields.push([key, value]);
    });
    const button = form.querySelector("button[type=submit]");
    return {
      url: form.action, fields: fields, files: files,
      label: (document.title.split(" · ")[0] || "") + " · " + (button ? button.textContent.trim() : form.dataset.kind),
    };
  }
  function send(entry) {
    const body = new FormData();
    entry.fields.forEach(function (pair) { body.append(pair[0], pair[1]); });
    entry.files.forEach(function (f) { body.append(f.key, f.blob, f.name); });
    return fetch(entry.url, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrfToken() },
    }).then(function (response) {
      const type = response.headers.get("Content-Type") || "";
      if (response.redirected || type.indexOf("application/json") === -1) {
        return { loggedOut: true };  // the login page or a CSRF refusal: keep the action
      }
      return response.json();
    });
  }

  let replaying = false;
  function replay() {
    if (replaying || !navigator.onLine) return Promise.resolve();
    replaying = true;
    let sent = 0;
    function next() {
      return queued().then(function (entries) {
        showQueue(entries.length);
        if (!entries.length) return;
        const entry = entries[0];
        return send(entry).then(function (answer) {
          if (answer.loggedOut) {
            say(queueBanner, entries.length + " action(s) wait on this phone: log in again to send them.");
            return;
          }
          if (!answer.ok && answer.code !== "duplicate_action") {
            addRefused(entry.label + " was not recorded: " + answer.message);
          }
          sent += 1;
          return dequeue(entry.seq).then(next);
        });
      });
    }
    return next().catch(function () { /* still offline: try again later */ }).then(function () {
      replaying = false;
      if (sent) {
        flash("Sent " + sent + " saved action(s).", "success");
        return queued().then(function (entries) { if (!entries.length && !busyTyping()) location.reload(); });
      }
    });
  }
  function busyTyping() {
    const el = document.activeElement;
    return el && (el.tagName === "TEXTAREA" || (el.tagName === "INPUT" && el.type === "text")) && el.value;
  }
  function showQueue(count) {
    say(queueBanner, count ? count + " action(s) saved on this phone, sent when the network returns." : "");
  }

  // What the page shows after an action the server has not seen yet.
  function showStatus(status) {
    const job = document.getElementById("job");
    if (!job || !status) return;
    job.dataset.status = status;
    const label = job.querySelector(".job-status");
    if (label) label.textContent = (STATUS_LABELS[status] || status) + " (saved, not sent yet)";
    document.querySelectorAll("[data-when]").forEach(function (el) {
      const when = el.dataset.when.split(" ");
      el.hidden = when.indexOf(status) === -1 ||
        (el.hasAttribute("data-unless-acknowledged") && job.dataset.acknowledged === "true");
    });
  }

  // After a reload with actions still queued (offline), the page shows the state they
  // lead to, marked as not sent yet, and never offers an action already queued.
  const KIND_STATUS = { en_route: "en_route", on_site: "on_site", complete: "completed", hold: "on_hold", cannot_complete: "new" };
  function entryField(entry, name) {
    const pair = entry.fields.find(function (p) { return p[0] === name; });
    return pair ? pair[1] : "";
  }
  function entryWorkOrder(entry) {
    const match = /\/my\/jobs\/(\d+)\/action\/?$/.exec(new URL(entry.url, location.href).pathname);
    return match ? match[1] : null;
  }
  function applyQueued(entries) {
    const byJob = {};
    entries.forEach(function (entry) {
      const id = entryWorkOrder(entry);
      if (!id) return;
      const job = byJob[id] || (byJob[id] = { status: null, acknowledged: false });
      const kind = entryField(entry, "kind");
      if (kind === "acknowledge") job.acknowledged = true;
      if (KIND_STATUS[kind]) job.status = KIND_STATUS[kind];
    });
    const page = document.getElementById("job");
    const form = document.querySelector("form.phone-action");
    const pageJob = form ? entryWorkOrder({ url: form.action }) : null;
    if (page && pageJob && byJob[pageJob]) {
      if (byJob[pageJob].acknowledged) page.dataset.acknowledged = "true";
      showStatus(byJob[pageJob].status || page.dataset.status);
    }
    document.querySelectorAll(".job-card[data-work-order]").forEach(function (card) {
      const job = byJob[card.dataset.workOrder];
      const label = card.querySelector(".status");
      if (!job || !label) return;
      const status = job.status;
      label.textContent = (status ? (STATUS_LABELS[status] || status) : label.textContent) + " (saved, not sent yet)";
      card.classList.add("has-queued");
    });
  }

  function checkPhotos(form) {
    const input = form.querySelector("input[type=file]");
    if (!input || !input.files) return "";
    const maxBytes = Number(input.dataset.maxBytes || 0), maxFiles = Number(input.dataset.maxFiles || 0);
    if (maxFiles && input.files.length > maxFiles) return "At most " + maxFiles + " photos at a time.";
    for (const file of input.files) {
      if (maxBytes && file.size > maxBytes) {
        return "“" + file.name + "” is " + (file.size / 1048576).toFixed(1) + " MB; the limit is " + (maxBytes / 1048576).toFixed(1) + " MB.";
      }
    }
    return "";
  }

  document.addEventListener("submit", function (event) {
    const form = event.target.closest("form.phone-action");
    if (!form) return;
    event.preventDefault();
    const problem = checkPhotos(form);
    if (problem) { flash(problem, "error"); return; }
    const entry = formEntry(form);
    const buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    function keep() {
      entry.fields.push(["occurred_at", new Date().toISOString()]);
      return enqueue(entry).then(function () {
        if (form.dataset.kind === "acknowledge") document.getElementById("job").dataset.acknowledged = "true";
        showStatus(form.dataset.nextStatus || document.getElementById("job").dataset.status);
        form.reset();
        flash("No network: saved on this phone; it is sent when the network returns.", "info");
        return queued().then(function (entries) { showQueue(entries.length); });
      });
    }
    const attempt = navigator.onLine ? send(entry) : Promise.reject(new Error("offline"));
    attempt.then(function (answer) {
      if (answer.loggedOut) { form.submit(); return; }  // let the server say what is wrong
      if (answer.ok) {
        // Said on the next page: the technician sees that it was recorded.
        try { sessionStorage.setItem(DONE_KEY, answer.message); } catch (e) { /* private mode */ }
        location.assign(answer.next);
        return;
      }
      flash(answer.message, "error");
    }, keep).finally(function () { buttons.forEach(function (b) { b.disabled = false; }); });
  });

  // Network state --------------------------------------------------------------
  function showNetwork() {
    say(netBanner, navigator.onLine ? "" : "Offline: actions are saved on this phone and sent when the network returns.");
    if (navigator.onLine) replay();
  }
  window.addEventListener("online", showNetwork);
  window.addEventListener("offline", showNetwork);

  // Position -------------------------------------------------------------------
  const positionEvery = Math.max(5, Number(app.dataset.positionInterval) || 60) * 1000;
  function sendPosition() {
    if (!navigator.onLine || !navigator.geolocation) return;
    // Moving between pages reloads this script: keep to one post per interval anyway,
    // which is also what the server's rate limit allows.
    const last = Number(sessionStorage.getItem("position-sent-at") || 0);
    if (Date.now() - last < positionEvery) return;
    sessionStorage.setItem("position-sent-at", String(Date.now()));
    navigator.geolocation.getCurrentPosition(function (fix) {
      const body = new URLSearchParams({
        latitude: fix.coords.latitude, longitude: fix.coords.longitude,
        accuracy: fix.coords.accuracy == null ? "" : fix.coords.accuracy,
      });
      fetch(app.dataset.positionUrl, {
        method: "POST", body: body, credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRFToken": csrfToken() },
      }).catch(function () {});
    }, function () {}, { enableHighAccuracy: true, maximumAge: 30000, timeout: 20000 });
  }
  if (app.dataset.onShift === "true") {
    sendPosition();
    setInterval(sendPosition, positionEvery);
  }

  // Service worker: the shell and today's pages open with no network. ------------
  if ("serviceWorker" in navigator && app.dataset.swUrl) {
    navigator.serviceWorker.register(app.dataset.swUrl, { scope: "/my/" }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      const urls = [location.pathname];
      document.querySelectorAll("a.job-link, .phone-back a").forEach(function (a) { urls.push(a.getAttribute("href")); });
      if (registration.active) registration.active.postMessage({ type: "cache-pages", urls: urls });
    }).catch(function () {});
  }
  const logout = document.querySelector("form.logout");
  if (logout && window.caches) {
    // A shared phone must not show the last technician's day to the next one.
    logout.addEventListener("submit", function () {
      caches.keys().then(function (keys) { keys.forEach(function (k) { if (k.indexOf("fieldops-phone-") === 0) caches.delete(k); }); });
    });
  }

  showRefused();
  showDone();
  showNetwork();
  queued().then(function (entries) { showQueue(entries.length); applyQueued(entries); }).catch(function () {});
  setInterval(replay, 15000);
})();
