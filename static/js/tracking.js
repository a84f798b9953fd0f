/* Customer tracking page: polls the status JSON every 15–30 s and updates the text
 * (textContent only) and the approximate position on the map. No inline script. */
(function () {
  "use strict";
  const root = document.getElementById("tracking");
  if (!root) return;
  const url = root.dataset.statusUrl;
  const seconds = Math.min(30, Math.max(15, parseInt(root.dataset.pollSeconds, 10) || 20));
  const mapCard = document.getElementById("map-card");
  const mapEl = document.getElementById("map");
  let map = null, marker = null, stopped = false;

  function setText(id, value) {
    const el = document.getElementById(id);
    if (el) el.textContent = value;
  }

  function showPosition(position) {
    if (!position || typeof L === "undefined") {
      mapCard.hidden = !position;
      return;
    }
    mapCard.hidden = false;
    const point = [position.lat, position.lng];
    if (!map) {
      map = L.map(mapEl, { zoomControl: false, attributionControl: !!root.dataset.tileUrl });
      if (root.dataset.tileUrl) {
        L.tileLayer(root.dataset.tileUrl, { maxZoom: 17, attribution: "© OpenStreetMap" }).addTo(map);
      }
      map.setView(point, 14);
      marker = L.circleMarker(point, { radius: 12, color: "#1f5fbf", fillOpacity: 0.5 }).addTo(map);
    } else {
      marker.setLatLng(point);
      map.panTo(point);
    }
    mapEl.dataset.lat = position.lat;
    mapEl.dataset.lng = position.lng;
  }

  function apply(data) {
    // Just completed: the summary (when, by whom, what) is drawn by the server.
    if (data.status === "completed" && !document.getElementById("done")) {
      stopped = true;
      window.location.reload();
      return;
    }
    setText("status", data.status_label);
    document.getElementById("status").dataset.status = data.status;
    setText("tech-name", data.technician || "Being assigned");
    setText("eta", data.eta);
    document.getElementById("eta-row").hidden = !data.eta;
    setText("updated", data.updated);
    showPosition(data.position);
  }

  function poll() {
    if (stopped) return;
    fetch(url, { headers: { Accept: "application/json" }, cache: "no-store", credentials: "omit" })
      .then(function (response) {
        // Expired meanwhile: show the page that says so and how to reach the business.
        if (response.status === 404) { stopped = true; window.location.reload(); return null; }
        return response.ok ? response.json() : null;
      })
      .then(function (data) { if (data) apply(data); })
      .catch(function () { /* offline for a moment: try again next time */ })
      .finally(function () { if (!stopped) window.setTimeout(poll, seconds * 1000); });
  }

  window.addEventListener("load", function () {
    if (mapEl.dataset.lat) {
      showPosition({ lat: parseFloat(mapEl.dataset.lat), lng: parseFloat(mapEl.dataset.lng) });
    }
    window.setTimeout(poll, seconds * 1000);
  });
})();
