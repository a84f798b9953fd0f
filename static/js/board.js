/* Dispatch board: drag and drop, live refresh, countdowns, dialog and map.
 * The server is the judge: a drop only sends (job, technician, position, the
 * lane fingerprints seen); the answer re-renders the lanes from the database. */
(function () {
  "use strict";
  const board = document.getElementById("board");
  if (!board) return;
  const dialog = document.getElementById("board-dialog");
  const dialogBody = document.getElementById("board-dialog-body");
  const canDrag = board.dataset.canDrag === "true";

  function post(url, values) {
    values.filter_query = board.dataset.filterQuery || "";
    htmx.ajax("POST", url, { values: values, swap: "none", source: board });
  }

  // Drag and drop --------------------------------------------------------
  function handleDrop(evt) {
    const item = evt.item, from = evt.from, to = evt.to;
    if (from === to && evt.oldIndex === evt.newIndex) return;
    const workOrder = item.dataset.workOrder;
    if (to.dataset.list === "queue") {
      if (from.dataset.list === "queue") return;
      post(board.dataset.unassignUrl, { work_order: workOrder, source_fingerprint: from.dataset.fingerprint });
      return;
    }
    const position = Array.from(to.children).filter(function (el) { return el.dataset.workOrder; }).indexOf(item);
    const values = { work_order: workOrder, technician: to.dataset.technician, position: position, target_fingerprint: to.dataset.fingerprint };
    if (from.dataset.list === "lane" && from !== to) {
      values.source_technician = from.dataset.technician;
      values.source_fingerprint = from.dataset.fingerprint;
    }
    post(board.dataset.assignUrl, values);
  }

  function initSortables() {
    if (!canDrag || typeof Sortable === "undefined") return;
    board.querySelectorAll("[data-sortable]").forEach(function (list) {
      if (list.dataset.sortableReady) return;
      list.dataset.sortableReady = "1";
      Sortable.create(list, {
        group: "board",
        animation: 120,
        draggable: ".draggable",
        filter: "a, .started",
        preventOnFilter: false,
        onStart: function () { document.body.classList.add("dragging"); },
        onEnd: function (evt) { document.body.classList.remove("dragging"); handleDrop(evt); },
      });
    });
  }

  // Live refresh: skip a poll while the user is mid-drag.
  document.body.addEventListener("htmx:beforeRequest", function (evt) {
    if (evt.detail.elt && evt.detail.elt.id === "board-sync" && document.body.classList.contains("dragging")) {
      evt.preventDefault();
    }
  });

  // Dialog: open when something is swapped into it.
  new MutationObserver(function () {
    if (dialogBody.innerHTML.trim() && !dialog.open) dialog.showModal();
  }).observe(dialogBody, { childList: true });
  document.body.addEventListener("board-changed", function () {
    if (dialog.open && dialogBody.querySelector(".job-panel")) dialog.close();
  });
  dialog.addEventListener("close", function () { dialogBody.innerHTML = ""; });

  // Time scale: fit the day, or a fixed width per hour. Kept in this browser, so it
  // stays across live refreshes (they swap lanes, not the board) and reloads.
  const lanesPanel = document.getElementById("lanes-panel");
  const SCALE_KEY = "board.scale";
  function scrollToNow() {
    const nowPct = parseFloat(lanesPanel && lanesPanel.dataset.nowPct);
    if (!lanesPanel || isNaN(nowPct) || board.dataset.scale === "fit") return;
    const hours = lanesPanel.querySelector(".timeline-head .hours");
    if (!hours) return;
    lanesPanel.scrollLeft = Math.max(0, hours.offsetLeft + hours.offsetWidth * nowPct / 100 - lanesPanel.clientWidth / 3);
  }
  function setScale(value, remember) {
    if (["fit", "60", "30"].indexOf(value) < 0) value = "60";
    board.dataset.scale = value;
    const choice = document.getElementById("scale-choice");
    if (choice) choice.value = value;
    if (remember) { try { localStorage.setItem(SCALE_KEY, value); } catch (e) { /* private mode */ } }
    scrollToNow();
  }
  let savedScale = null;
  try { savedScale = localStorage.getItem(SCALE_KEY); } catch (e) { /* private mode */ }
  setScale(savedScale || "60", false);
  const scaleChoice = document.getElementById("scale-choice");
  if (scaleChoice) scaleChoice.addEventListener("change", function () { setScale(scaleChoice.value, true); });

  // Cards: the number opens the job panel in the dialog (a plain link without
  // JavaScript); hovering a card or focusing its number shows its details, fetched once.
  board.addEventListener("click", function (evt) {
    const link = evt.target.closest(".booking a.card-number");
    if (!link || typeof htmx === "undefined") return;
    evt.preventDefault();
    htmx.ajax("GET", link.getAttribute("href"), { target: "#board-dialog-body" });
  });
  function showCardDetails(evt) {
    const card = evt.target.closest && evt.target.closest(".booking[data-work-order]");
    if (!card || card.querySelector(".card-detail") || typeof htmx === "undefined") return;
    const detail = document.createElement("span");
    detail.className = "card-detail";
    detail.id = "card-detail-" + card.dataset.workOrder;
    detail.setAttribute("role", "tooltip");
    card.appendChild(detail);
    const number = card.querySelector(".card-number");
    if (number) number.setAttribute("aria-describedby", detail.id);
    const url = board.dataset.cardUrl.replace("/0/", "/" + card.dataset.workOrder + "/");
    htmx.ajax("GET", url, { target: detail, swap: "innerHTML" });
  }
  board.addEventListener("mouseover", showCardDetails);
  board.addEventListener("focusin", showCardDetails);

  // A placed job: the dialog closes and the card is pointed out for a moment.
  document.body.addEventListener("board-placed", function (evt) {
    if (dialog.open) dialog.close();
    const id = evt.detail && evt.detail.value;
    const card = id && board.querySelector('[data-work-order="' + id + '"]');
    if (!card) return;
    card.classList.add("just-placed");
    card.scrollIntoView({ block: "nearest", inline: "nearest" });
    setTimeout(function () { card.classList.remove("just-placed"); }, 4000);
  });

  // Countdowns ------------------------------------------------------------
  function formatLeft(ms) {
    const minutes = Math.round(Math.abs(ms) / 60000);
    const text = minutes >= 60 ? Math.floor(minutes / 60) + "h " + String(minutes % 60).padStart(2, "0") + "m" : minutes + "m";
    return ms >= 0 ? "due in " + text : "overdue " + text;
  }
  function tick() {
    const now = Date.now();
    board.querySelectorAll(".countdown[data-due]").forEach(function (el) {
      el.textContent = formatLeft(Date.parse(el.dataset.due) - now);
    });
  }

  // Map -------------------------------------------------------------------
  // Jobs are clustered (Leaflet.markercluster) so a city's worth stays readable;
  // technicians stay single markers above them. Selecting a technician (their marker
  // or their lane's name) draws their day's route.
  let map = null, jobLayer = null, techLayer = null, routeLayer = null, lastData = null;
  let selectedTechnician = null;
  const colours = { ok: "#1e7f4a", at_risk: "#8a4f00", breached: "#c0262d", "n/a": "#777" };
  // Leaflet inserts string tooltips as HTML; names and summaries are user text, so
  // tooltips are given as elements filled through textContent.
  function textTooltip(text) {
    const element = document.createElement("span");
    element.textContent = text;
    return element;
  }
  // "auto" puts a tooltip on the side of the marker with room, so it stays in the panel.
  const tooltipOptions = { direction: "auto", className: "map-tooltip" };
  function drawRoute() {
    if (!routeLayer) return;
    routeLayer.clearLayers();
    board.querySelectorAll(".lane.selected").forEach(function (el) { el.classList.remove("selected"); });
    if (selectedTechnician === null || !lastData) return;
    const tech = lastData.technicians.find(function (t) { return t.id === selectedTechnician; });
    if (!tech) return;
    const lane = document.getElementById("lane-" + tech.id);
    if (lane) lane.classList.add("selected");
    const path = [[tech.lat, tech.lng]].concat(tech.route || []);
    if (path.length < 2) return;
    L.polyline(path, { color: "#16213a", weight: 3, opacity: 0.8, dashArray: "6 4" }).addTo(routeLayer);
    path.slice(1).forEach(function (point, index) {
      L.marker(point, { icon: L.divIcon({ className: "route-stop", html: "", iconSize: [18, 18] }) })
        .bindTooltip(textTooltip(tech.name + ": stop " + (index + 1)), tooltipOptions).addTo(routeLayer);
    });
  }
  function selectTechnician(id) {
    selectedTechnician = selectedTechnician === id ? null : id;
    drawRoute();
  }
  function drawMap(data) {
    if (typeof L === "undefined") return;
    lastData = data;
    if (!map) {
      // A max zoom of its own: without tiles Leaflet has none, and clustering needs one.
      map = L.map("map", { zoomControl: true, maxZoom: 18 });
      if (board.dataset.tileUrl) {
        L.tileLayer(board.dataset.tileUrl, { maxZoom: 18, attribution: "© OpenStreetMap contributors" }).addTo(map);
      }
      jobLayer = typeof L.markerClusterGroup === "function"
        ? L.markerClusterGroup({ maxClusterRadius: 40, showCoverageOnHover: false })
        : L.layerGroup();
      jobLayer.addTo(map);
      routeLayer = L.layerGroup().addTo(map);
      techLayer = L.layerGroup().addTo(map);
    }
    jobLayer.clearLayers();
    techLayer.clearLayers();
    const points = [];
    data.jobs.forEach(function (j) {
      points.push([j.lat, j.lng]);
      const marker = L.circleMarker([j.lat, j.lng], { radius: 7, color: colours[j.sla] || "#777", fillColor: colours[j.sla] || "#777", fillOpacity: 0.6, weight: 2, className: "job-marker" });
      marker.bindTooltip(textTooltip(j.number + " " + j.summary + (j.assigned_to ? " · " + j.assigned_to : " · unassigned")), tooltipOptions);
      marker.on("click", function () {
        htmx.ajax("GET", board.dataset.jobUrl.replace("/0/", "/" + j.id + "/"), { target: "#board-dialog-body" });
      });
      jobLayer.addLayer(marker);
    });
    data.technicians.forEach(function (t) {
      points.push([t.lat, t.lng]);
      L.circleMarker([t.lat, t.lng], { radius: 6, color: "#16213a", fillColor: "#3d6fd6", fillOpacity: 0.9, weight: 2, className: "tech-marker" })
        .bindTooltip(textTooltip(t.name + " — " + t.detail + (t.position ? " · " + t.position : "") + " (click: route)"), tooltipOptions)
        .on("click", function () { selectTechnician(t.id); })
        .addTo(techLayer);
    });
    drawRoute();
    if (points.length && !map._fitted) { map.fitBounds(points, { padding: [20, 20] }); map._fitted = true; }
  }
  // A lane's name selects its technician on the map.
  board.addEventListener("click", function (evt) {
    const head = evt.target.closest(".lane .lane-head strong");
    if (!head) return;
    const lane = head.closest(".lane");
    const id = parseInt(lane.id.replace("lane-", ""), 10);
    if (!isNaN(id)) selectTechnician(id);
  });
  function refreshMap() {
    fetch(board.dataset.mapUrl, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(drawMap).catch(function () {});
  }
  document.body.addEventListener("board-changed", refreshMap);
  // Phones post positions about once a minute without changing the board's version.
  setInterval(refreshMap, 30000);

  function start() {
    initSortables();
    tick();
    setInterval(tick, 30000);
    const data = document.getElementById("map-data");
    if (data) drawMap(JSON.parse(data.textContent));
  }
  document.body.addEventListener("htmx:afterSettle", function () { initSortables(); tick(); });
  if (document.readyState === "complete") start(); else window.addEventListener("load", start);
})();
