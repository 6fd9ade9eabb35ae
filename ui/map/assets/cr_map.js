/*
 * CommandRoom map page: the `window.cr` API that Python drives with runJavaScript.
 *
 * The folium page defines the base layers; `cr.init(map, config, layers)` (called at the
 * end of the page) builds everything else. Data never comes baked into the HTML: Python
 * calls cr.setIncidents([...]), cr.upsertIncidents([...]), cr.removeIncidents([ids]),
 * cr.setReports, cr.setTeams, cr.setHeat, cr.highlight(id), cr.panTo(id).
 *
 * SAFETY: every piece of user text (titles, descriptions, names, addresses) reaches the
 * DOM through textContent on elements built here. Nothing here assigns innerHTML, and
 * Leaflet only gets HTMLElements (never strings) for popups, tooltips and divIcons.
 * Layer-control names are fixed strings from Python, escaped anyway.
 *
 * Calls back to Qt go through a DOM event that the isolated-world script (cr_bridge.js)
 * turns into QWebChannel calls; the channel itself is invisible to page scripts.
 */
(function () {
  'use strict';

  var S = {
    map: null,
    cfg: null,
    inc: new Map(),        // incident id -> L.CircleMarker (marker.crData = row)
    open: null,            // cluster group of incidents not closed
    closed: null,          // cluster group of closed incidents (hidden by default)
    heat: null,
    heatPoints: null,      // explicit points from cr.setHeat, or null = derived from incidents
    heatDirty: true,
    rep: new Map(),
    reports: null,
    team: new Map(),
    teams: null,
    popup: null,
    popupId: null,
    popupPhoto: null,
    tooltip: null,
    hl: null,              // highlight ring layer
    hlId: null,
    selLayer: null,        // selection shape
    selRings: null,        // rings around selected, individually drawn incidents
    selIds: [],
    selSet: new Set(),     // the same ids, for cluster icons
    toolMode: null,        // 'rect' | 'lasso' | null
    toolbar: null,
    now: null,             // test override of Date.now()
    pendingLoads: 0,
    renderWaiters: [],
    overdueTimer: null
  };

  var cr = window.cr = { version: 1 };

  // ------------------------------------------------------------------ small helpers

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }

  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }

  function safeToken(s) {
    return /^[A-Za-z0-9_-]{1,40}$/.test(String(s)) ? String(s) : 'unknown';
  }

  function callQt(method, args) {
    document.dispatchEvent(new CustomEvent('cr-bridge-call', {
      detail: JSON.stringify({ m: method, a: args })
    }));
  }

  function now() { return S.now !== null ? S.now : Date.now(); }

  function fmtTime(ms) {
    if (ms === null || ms === undefined) { return ''; }
    var d = new Date(ms);
    function p(n) { return n < 10 ? '0' + n : String(n); }
    return d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate()) + ' ' +
      p(d.getHours()) + ':' + p(d.getMinutes());
  }

  /** Rows as objects: a list of objects as is, or the compact {cols: [...], rows: [[...]]} form. */
  function rowsOf(x) {
    if (Array.isArray(x)) { return x; }
    if (!x || !Array.isArray(x.cols) || !Array.isArray(x.rows)) { return []; }
    var cols = x.cols;
    var nc = cols.length;
    var out = new Array(x.rows.length);
    for (var i = 0; i < x.rows.length; i++) {
      var r = x.rows[i];
      var o = {};
      for (var j = 0; j < nc; j++) { o[cols[j]] = r[j]; }
      out[i] = o;
    }
    return out;
  }

  function isNum(v) { return typeof v === 'number' && isFinite(v); }

  function validRow(d) {
    return d && typeof d.id === 'string' && isNum(d.lat) && isNum(d.lon) &&
      Math.abs(d.lat) <= 90 && Math.abs(d.lon) <= 180;
  }

  // ------------------------------------------------------------------ incidents

  function isOverdue(d) {
    return d.due !== null && d.due !== undefined && d.st !== 'closed' && d.due < now();
  }

  function incStyle(d, overdue) {
    var c = S.cfg;
    var fill = c.stateColors[d.st] || c.unknownColor;
    var k = S.scale || 1;  // the wall's screen size (cr.setScale): markers grow with the labels
    var radius = (c.urgencyRadius[d.urg] || c.urgencyRadius.L3) * k;
    if (overdue) {
      return { radius: radius, color: c.overdueColor, weight: 4 * k, opacity: 1, fillColor: fill, fillOpacity: 0.95 };
    }
    var urgent = d.urg === 'L1';
    return {
      radius: radius, color: urgent ? '#111827' : '#ffffff', weight: (urgent ? 2.5 : 1.5) * k,
      opacity: 1, fillColor: fill, fillOpacity: d.st === 'closed' ? 0.6 : 0.92
    };
  }

  function incClass(overdue) { return overdue ? 'cr-inc cr-overdue' : 'cr-inc'; }

  function makeIncident(d) {
    var od = isOverdue(d);
    var opts = incStyle(d, od);
    opts.className = incClass(od);
    opts.pane = 'crIncidents';
    opts.bubblingMouseEvents = false;
    var m = L.circleMarker([d.lat, d.lon], opts);
    m.crData = d;
    m.crOverdue = od;
    return m;
  }

  function groupFor(d) { return d.st === 'closed' ? S.closed : S.open; }

  function setClass(m, overdue) {
    m.options.className = incClass(overdue);
    if (m._path) {
      m._path.setAttribute('class', 'leaflet-interactive ' + incClass(overdue));
    }
  }

  function restyle(m) {
    var od = isOverdue(m.crData);
    var changed = od !== m.crOverdue;
    m.crOverdue = od;
    m.setStyle(incStyle(m.crData, od));
    m.setRadius(incStyle(m.crData, od).radius);
    setClass(m, od);
    return changed;
  }

  function clusterIconFactory(closed) {
    return function (cluster) {
      var n = cluster.getChildCount();
      var od = 0;
      var urgent = 0;
      var picked = 0;
      var ms = cluster.getAllChildMarkers();
      for (var i = 0; i < ms.length; i++) {
        if (ms[i].crOverdue) { od++; }
        if (ms[i].crData.urg === 'L1') { urgent++; }
        if (S.selSet.size && S.selSet.has(ms[i].crData.id)) { picked++; }
      }
      var size = n < 100 ? 'small' : (n < 1000 ? 'medium' : 'large');
      // Body colour: grey when closed, orange when an urgent (L1) incident is inside, else blue.
      // Overdue ones add a red halo and a red count badge (a colour alone would paint almost
      // every cluster red once a few percent are overdue).
      var cls = 'cr-cluster cr-cluster-' + size;
      if (closed) { cls += ' cr-cluster-closed'; } else if (urgent) { cls += ' cr-cluster-urgent'; }
      if (od) { cls += ' cr-cluster-overdue'; }
      if (picked) { cls += ' cr-cluster-selected'; }
      var box = el('div');
      box.appendChild(el('span', null, n));
      if (od) {
        var badge = el('b', 'cr-cluster-badge', od);
        badge.title = S.cfg.texts.overdue + ' ' + od;
        box.appendChild(badge);
      }
      var px = size === 'small' ? 34 : (size === 'medium' ? 42 : 50);
      return L.divIcon({ html: box, className: cls, iconSize: L.point(px, px) });
    };
  }

  function loadDone() {
    S.pendingLoads = Math.max(0, S.pendingLoads - 1);
    if (S.pendingLoads === 0) { flushRenderWaiters(); }
  }

  function makeClusterGroup(closed) {
    var g = L.markerClusterGroup({
      chunkedLoading: true,
      chunkInterval: 200,  // ms of clustering per slice; the page still paints between slices
      chunkDelay: 1,
      chunkProgress: function (processed, total) {
        if (processed >= total && g.crLoading) {
          g.crLoading = false;
          if (S.timing) { S.timing.clustered = performance.now() - S.timing.start; }
          loadDone();
        }
      },
      maxClusterRadius: 60,
      spiderfyOnMaxZoom: true,
      showCoverageOnHover: false,
      removeOutsideVisibleBounds: true,
      disableClusteringAtZoom: S.cfg.maxZoom,  // at the deepest zoom every incident is drawn
      iconCreateFunction: clusterIconFactory(closed)
    });
    g.on('click', function (e) { onIncidentClick(e.layer); });
    g.on('mouseover', function (e) { showIncidentTooltip(e.layer); });
    g.on('mouseout', function () { S.map.closeTooltip(S.tooltip); });
    return g;
  }

  function addMany(group, markers) {
    if (!markers.length) { return; }
    if (!S.map.hasLayer(group)) {
      group.addLayers(markers);  // not on the map: stored, clustered when shown
      return;
    }
    group.crLoading = true;
    S.pendingLoads++;
    group.addLayers(markers);
  }

  cr.setIncidents = function (data) {
    var t0 = performance.now();
    var rows = rowsOf(data);
    S.timing = { start: t0 };
    S.open.clearLayers();
    S.closed.clearLayers();
    S.inc.clear();
    var open = [];
    var closed = [];
    for (var i = 0; i < rows.length; i++) {
      var d = rows[i];
      if (!validRow(d)) { continue; }
      var m = makeIncident(d);
      S.inc.set(d.id, m);
      (d.st === 'closed' ? closed : open).push(m);
    }
    S.timing.markers = performance.now() - t0;
    addMany(S.open, open);
    addMany(S.closed, closed);
    S.heatDirty = true;
    refreshHeat();
    if (S.hlId !== null && !S.inc.has(S.hlId)) { clearHighlight(); }
    return S.inc.size;
  };

  cr.upsertIncidents = function (data) {
    var rows = rowsOf(data);
    var added = 0;
    var updated = 0;
    var moved = 0;
    var batch = { open: [], closed: [] };
    var refresh = { open: [], closed: [] };
    for (var i = 0; i < rows.length; i++) {
      var d = rows[i];
      if (!validRow(d)) { continue; }
      var m = S.inc.get(d.id);
      if (!m) {
        m = makeIncident(d);
        S.inc.set(d.id, m);
        batch[d.st === 'closed' ? 'closed' : 'open'].push(m);
        added++;
        continue;
      }
      var old = m.crData;
      var oldGroup = groupFor(old);
      var newGroup = groupFor(d);
      var ll = m.getLatLng();
      var relocate = oldGroup !== newGroup || ll.lat !== d.lat || ll.lng !== d.lon;
      if (relocate) {
        oldGroup.removeLayer(m);
        m.crData = d;
        m.setLatLng([d.lat, d.lon]);
        restyle(m);
        newGroup.addLayer(m);
        moved++;
      } else {
        m.crData = d;
        restyle(m);
        refresh[newGroup === S.closed ? 'closed' : 'open'].push(m);
      }
      updated++;
      if (S.popupId === d.id && S.map.hasLayer(S.popup)) {
        S.popup.setLatLng([d.lat, d.lon]);
        S.popup.setContent(incidentPopup(d));
      }
      if (S.hlId === d.id) { placeHighlight(m); }
    }
    if (batch.open.length) { if (batch.open.length > 200) { addMany(S.open, batch.open); } else { S.open.addLayers(batch.open); } }
    if (batch.closed.length) { S.closed.addLayers(batch.closed); }
    if (refresh.open.length) { S.open.refreshClusters(refresh.open); }
    if (refresh.closed.length) { S.closed.refreshClusters(refresh.closed); }
    S.heatDirty = true;
    refreshHeat();
    return { added: added, updated: updated, moved: moved, total: S.inc.size };
  };

  cr.removeIncidents = function (ids) {
    var removed = 0;
    var gone = { open: [], closed: [] };
    for (var i = 0; i < ids.length; i++) {
      var m = S.inc.get(ids[i]);
      if (!m) { continue; }
      gone[groupFor(m.crData) === S.closed ? 'closed' : 'open'].push(m);
      S.inc.delete(ids[i]);
      if (S.hlId === ids[i]) { clearHighlight(); }
      if (S.popupId === ids[i]) { S.map.closePopup(S.popup); }
      removed++;
    }
    if (gone.open.length) { S.open.removeLayers(gone.open); }
    if (gone.closed.length) { S.closed.removeLayers(gone.closed); }
    S.heatDirty = true;
    refreshHeat();
    return removed;
  };

  function refreshOverdue() {
    var changed = { open: [], closed: [] };
    S.inc.forEach(function (m) {
      if (isOverdue(m.crData) !== m.crOverdue) {
        restyle(m);
        changed[groupFor(m.crData) === S.closed ? 'closed' : 'open'].push(m);
      }
    });
    if (changed.open.length) { S.open.refreshClusters(changed.open); }
    if (changed.closed.length) { S.closed.refreshClusters(changed.closed); }
    return changed.open.length + changed.closed.length;
  }

  /** Tests and replays: pretend the clock reads `ms` (null = the real clock). */
  cr.setNow = function (ms) { S.now = ms; return refreshOverdue(); };
  cr.refreshOverdue = refreshOverdue;

  // ------------------------------------------------------------------ popups and tooltips

  function row(parent, label, value) {
    if (value === undefined || value === null || value === '') { return; }
    var r = el('div', 'cr-pop-row');
    r.appendChild(el('span', 'cr-pop-label', label));
    r.appendChild(el('span', 'cr-pop-value', value));
    parent.appendChild(r);
  }

  function incidentPopup(d) {
    var T = S.cfg.texts;
    var box = el('div', 'cr-pop cr-pop-incident');
    box.setAttribute('data-id', d.id);
    var head = el('div', 'cr-pop-head');
    head.appendChild(el('span', 'cr-pop-no', d.no || T.noNumber));
    var st = el('span', 'cr-badge', S.cfg.stateLabels[d.st] || d.st);
    st.style.background = S.cfg.stateColors[d.st] || S.cfg.unknownColor;
    head.appendChild(st);
    head.appendChild(el('span', 'cr-badge cr-badge-urg cr-urg-' + safeToken(d.urg), S.cfg.urgencyLabels[d.urg] || d.urg));
    if (isOverdue(d)) { head.appendChild(el('span', 'cr-badge cr-badge-overdue', T.overdue)); }
    box.appendChild(head);
    box.appendChild(el('div', 'cr-pop-title', d.title));
    row(box, T.category, d.cat);
    row(box, T.address, d.addr);
    row(box, T.closeDue, d.due ? fmtTime(d.due) : '');
    if (d.desc) { box.appendChild(el('div', 'cr-pop-desc', d.desc)); }
    var open = el('button', 'cr-pop-open', T.openDetail);
    open.type = 'button';
    open.addEventListener('click', function () { callQt('incidentClicked', [d.id]); });
    box.appendChild(open);
    return box;
  }

  function reportPopup(d) {
    var T = S.cfg.texts;
    var box = el('div', 'cr-pop cr-pop-report');
    box.setAttribute('data-id', d.id);
    var head = el('div', 'cr-pop-head');
    head.appendChild(el('span', 'cr-pop-no', d.no || T.noNumber));
    head.appendChild(el('span', 'cr-badge cr-badge-report', T.openReport));
    box.appendChild(head);
    row(box, T.category, d.cat);
    row(box, T.source, S.cfg.sourceLabels[d.src] || d.src);
    row(box, T.reporter, d.who);
    row(box, T.reportedAt, fmtTime(d.at));
    row(box, T.address, d.addr);
    if (d.desc) { box.appendChild(el('div', 'cr-pop-desc', d.desc)); }
    return box;
  }

  function teamPopup(d) {
    var T = S.cfg.texts;
    var box = el('div', 'cr-pop cr-pop-team');
    box.setAttribute('data-id', d.id);
    box.appendChild(el('div', 'cr-pop-title', d.name));
    row(box, T.status, S.cfg.memberStatusLabels[d.st] || d.st);
    row(box, T.zone, S.cfg.zoneNames[d.zone] || d.zone);
    row(box, T.statusAt, fmtTime(d.at));
    return box;
  }

  function openPopupFor(latlng, content, id) {
    S.popupId = id;
    if (S.popupPhoto && S.popupPhoto.id === id) { addPopupPhoto(content, S.popupPhoto.url); }
    S.popup.setLatLng(latlng).setContent(content).openOn(S.map);
  }

  function onIncidentClick(m) {
    openPopupFor(m.getLatLng(), incidentPopup(m.crData), m.crData.id);
    callQt('incidentClicked', [m.crData.id]);
  }

  function tooltipText(d) {
    var parts = [];
    if (d.no) { parts.push(d.no); }
    parts.push(d.title);
    parts.push(S.cfg.stateLabels[d.st] || d.st);
    if (isOverdue(d)) { parts.push(S.cfg.texts.overdue); }
    return parts.join(' · ');
  }

  function showIncidentTooltip(m) {
    S.tooltip.setLatLng(m.getLatLng()).setContent(el('div', 'cr-tip', tooltipText(m.crData)));
    S.map.openTooltip(S.tooltip);
  }

  // ------------------------------------------------------------------ highlight and pan

  function placeHighlight(m) {
    var ll = m.getLatLng();
    var r = (m.options.radius || 6) + 9;
    if (!S.hl) {
      S.hl = L.circleMarker(ll, {
        radius: r, color: S.cfg.highlightColor, weight: 3, fill: false, opacity: 1,
        interactive: false, pane: 'crHighlight', className: 'cr-highlight'
      }).addTo(S.map);
    } else {
      S.hl.setLatLng(ll);
      S.hl.setRadius(r);
      if (!S.map.hasLayer(S.hl)) { S.hl.addTo(S.map); }
    }
  }

  function clearHighlight() {
    if (S.hl) { S.map.removeLayer(S.hl); }
    S.hlId = null;
  }

  /**
   * Bring incident `id` on screen, drawn on its own (not inside a cluster), then call then(m).
   *
   * markercluster's zoomToShowLayer relies on marker icons, which circle markers do not
   * have, so: a marker sitting in a cluster of zoom z is drawn alone from zoom z + 1.
   */
  function showMarker(id, then) {
    var m = S.inc.get(id);
    if (!m) { return false; }
    var g = groupFor(m.crData);
    if (!S.map.hasLayer(g)) { S.map.addLayer(g); }  // a closed incident: show its layer
    var ll = m.getLatLng();
    S.autoFit = false;
    if (m._map && S.map.getBounds().pad(-0.1).contains(ll)) { then(m); return true; }
    var z = S.map.getZoom();
    var need = m.__parent ? m.__parent._zoom + 1 : z;
    S.map.setView(ll, Math.min(S.map.getMaxZoom(), Math.max(z, need)), { animate: false });
    var frames = 0;
    (function wait() {
      if (m._map || frames++ > 120) { then(m); return; }
      requestAnimationFrame(wait);
    })();
    return true;
  }

  cr.highlight = function (id) {
    return showMarker(id, function (m) {
      S.hlId = id;
      placeHighlight(m);
      openPopupFor(m.getLatLng(), incidentPopup(m.crData), id);
    });
  };

  // the incident's photo in its popup (Python sends a data: URL of the thumbnail, before or after it opens)
  function addPopupPhoto(box, url) {
    if (!box || !box.querySelector || box.querySelector('.cr-pop-photo')) { return false; }
    var img = document.createElement('img');
    img.className = 'cr-pop-photo';
    img.src = url;
    img.alt = '';
    box.insertBefore(img, box.querySelector('.cr-pop-open'));
    return true;
  }

  cr.setPopupPhoto = function (id, url) {
    if (typeof url !== 'string' || url.indexOf('data:image/jpeg;base64,') !== 0) { return false; }
    S.popupPhoto = { id: id, url: url };
    if (S.popupId !== id || !S.map.hasLayer(S.popup)) { return false; }
    var added = addPopupPhoto(S.popup.getContent(), url);
    if (added) { S.popup.update(); }
    return added;
  };

  cr.panTo = function (id) {
    var m = S.inc.get(id);
    if (!m) { return false; }
    S.autoFit = false;
    S.map.panTo(m.getLatLng());
    return true;
  };

  /** Show a box [south, west, north, east] (e.g. a township or a selection). */
  cr.fitBounds = function (south, west, north, east) {
    S.autoFit = false;
    S.map.fitBounds([[south, west], [north, east]], { animate: false });
    return S.map.getZoom();
  };

  cr.clearHighlight = function () { clearHighlight(); S.map.closePopup(S.popup); };

  // ------------------------------------------------------------------ heat

  function refreshHeat() {
    if (!S.heat || !S.map.hasLayer(S.heat) || !S.heatDirty) { return; }
    S.heatDirty = false;
    var pts = S.heatPoints;
    if (pts === null) {
      var w = S.cfg.heatWeight;
      pts = [];
      S.inc.forEach(function (m) {
        var d = m.crData;
        if (d.st !== 'closed') { pts.push([d.lat, d.lon, (w[d.urg] || 0.5) * (m.crOverdue ? 1.5 : 1)]); }
      });
    }
    S.heat.setLatLngs(pts);
  }

  /** Explicit heat points [[lat, lon, weight], ...]; null returns to "open incidents". */
  cr.setHeat = function (points) {
    S.heatPoints = points === null ? null : points.filter(function (p) {
      return Array.isArray(p) && isNum(p[0]) && isNum(p[1]);
    });
    S.heatDirty = true;
    refreshHeat();
    return S.heatPoints === null ? -1 : S.heatPoints.length;
  };

  // ------------------------------------------------------------------ reports and teams

  function reportIcon() {
    var box = el('div', 'cr-report-icon');
    box.appendChild(el('span', null, S.cfg.texts.reportGlyph));
    return L.divIcon({ html: box, className: 'cr-report', iconSize: L.point(22, 22) });
  }

  function teamIcon(d) {
    var box = el('div', 'cr-team-icon cr-team-' + safeToken(d.st));
    box.style.borderColor = S.cfg.memberStatusColors[d.st] || S.cfg.unknownColor;
    box.appendChild(el('span', null, Array.from(d.name || '?')[0] || '?'));
    return L.divIcon({ html: box, className: 'cr-team', iconSize: L.point(26, 26) });
  }

  function upsertPoints(index, group, rows, iconFn, popupFn, tipFn, pane) {
    var n = 0;
    for (var i = 0; i < rows.length; i++) {
      var d = rows[i];
      if (!validRow(d)) { continue; }
      var m = index.get(d.id);
      if (!m) {
        m = L.marker([d.lat, d.lon], { icon: iconFn(d), pane: pane, keyboard: false, bubblingMouseEvents: false });
        m.on('click', function () { openPopupFor(this.getLatLng(), popupFn(this.crData), this.crData.id); });
        m.on('mouseover', function () {
          S.tooltip.setLatLng(this.getLatLng()).setContent(el('div', 'cr-tip', tipFn(this.crData)));
          S.map.openTooltip(S.tooltip);
        });
        m.on('mouseout', function () { S.map.closeTooltip(S.tooltip); });
        index.set(d.id, m);
        group.addLayer(m);
      } else {
        m.setLatLng([d.lat, d.lon]);
        m.setIcon(iconFn(d));
      }
      m.crData = d;
      n++;
    }
    return n;
  }

  function removePoints(index, group, ids) {
    var n = 0;
    for (var i = 0; i < ids.length; i++) {
      var m = index.get(ids[i]);
      if (m) { group.removeLayer(m); index.delete(ids[i]); n++; }
    }
    return n;
  }

  /** Reports and team members cluster too (100 members at 7 hubs would bury the incidents). */
  function pointCluster(cls, glyph, pane) {
    return L.markerClusterGroup({
      maxClusterRadius: 40,
      showCoverageOnHover: false,
      spiderfyOnMaxZoom: true,
      disableClusteringAtZoom: 16,
      clusterPane: pane,
      iconCreateFunction: function (cluster) {
        var box = el('div');
        box.appendChild(el('b', null, glyph));
        box.appendChild(el('span', null, cluster.getChildCount()));
        return L.divIcon({ html: box, className: 'cr-point-cluster ' + cls, iconSize: L.point(40, 22) });
      }
    });
  }

  function reportTip(d) { return [d.no, d.cat, d.addr].filter(Boolean).join(' · '); }
  function teamTip(d) { return d.name + ' · ' + (S.cfg.memberStatusLabels[d.st] || d.st); }

  cr.setReports = function (data) { S.reports.clearLayers(); S.rep.clear(); return cr.upsertReports(data); };
  cr.upsertReports = function (data) { return upsertPoints(S.rep, S.reports, rowsOf(data), reportIcon, reportPopup, reportTip, 'crReports'); };
  cr.removeReports = function (ids) { return removePoints(S.rep, S.reports, ids); };
  cr.setTeams = function (data) { S.teams.clearLayers(); S.team.clear(); return cr.upsertTeams(data); };
  cr.upsertTeams = function (data) { return upsertPoints(S.team, S.teams, rowsOf(data), teamIcon, teamPopup, teamTip, 'crTeams'); };
  cr.removeTeams = function (ids) { return removePoints(S.team, S.teams, ids); };

  // ------------------------------------------------------------------ selection (rectangle, lasso)

  function selectableMarkers(fn) {
    var showOpen = S.map.hasLayer(S.open);
    var showClosed = S.map.hasLayer(S.closed);
    S.inc.forEach(function (m) {
      var closed = m.crData.st === 'closed';
      if ((closed && showClosed) || (!closed && showOpen)) { fn(m); }
    });
  }

  function pointInPolygon(lat, lng, poly) {
    var inside = false;
    for (var i = 0, j = poly.length - 1; i < poly.length; j = i++) {
      var yi = poly[i].lat, xi = poly[i].lng, yj = poly[j].lat, xj = poly[j].lng;
      if (((yi > lat) !== (yj > lat)) && (lng < (xj - xi) * (lat - yi) / (yj - yi) + xi)) { inside = !inside; }
    }
    return inside;
  }

  function clearSelection() {
    S.selLayer.clearLayers();
    S.selRings.clearLayers();
    S.selIds = [];
    markSelectedClusters([]);
    updateToolbar();
  }

  /** Ring the selected incidents that are drawn one by one (not those inside a cluster). */
  function drawSelectionRings() {
    S.selRings.clearLayers();
    var limit = S.cfg.maxSelectionRings;
    var drawn = 0;
    for (var i = 0; i < S.selIds.length && drawn < limit; i++) {
      var m = S.inc.get(S.selIds[i]);
      if (!m || !m._map) { continue; }
      S.selRings.addLayer(L.circleMarker(m.getLatLng(), {
        radius: (m.options.radius || 6) + 4, color: S.cfg.selectionColor, weight: 2.5, fill: false,
        interactive: false, pane: 'crHighlight'
      }));
      drawn++;
    }
    return drawn;
  }

  /** Re-draw cluster icons so clusters holding selected incidents get their blue ring. */
  function markSelectedClusters(ids) {
    var had = S.selSet.size > 0;
    S.selSet = new Set(ids);
    if (had || ids.length) {
      [S.open, S.closed].forEach(function (g) { if (S.map.hasLayer(g)) { g.refreshClusters(); } });
    }
  }

  function finishSelection(ids, shape) {
    S.selLayer.clearLayers();
    if (shape) { S.selLayer.addLayer(shape); }
    S.selIds = ids;
    markSelectedClusters(ids);
    drawSelectionRings();
    updateToolbar();
    callQt('selectionMade', [ids]);
    return ids;
  }

  function selectionStyle() {
    return { color: S.cfg.selectionColor, weight: 2, dashArray: '6 4', fillOpacity: 0.08, interactive: false, pane: 'crHighlight' };
  }

  /** Select the shown incidents inside a box; returns (and reports to Qt) their ids. */
  cr.selectBounds = function (south, west, north, east) {
    var b = L.latLngBounds([south, west], [north, east]);
    var ids = [];
    selectableMarkers(function (m) { if (b.contains(m.getLatLng())) { ids.push(m.crData.id); } });
    return finishSelection(ids, L.rectangle(b, selectionStyle()));
  };

  /** Select the shown incidents inside a polygon [[lat, lon], ...]. */
  cr.selectPolygon = function (latlngs) {
    var poly = latlngs.map(function (p) { return L.latLng(p[0], p[1]); });
    if (poly.length < 3) { return finishSelection([], null); }
    var bounds = L.latLngBounds(poly);
    var ids = [];
    selectableMarkers(function (m) {
      var ll = m.getLatLng();
      if (bounds.contains(ll) && pointInPolygon(ll.lat, ll.lng, poly)) { ids.push(m.crData.id); }
    });
    return finishSelection(ids, L.polygon(poly, selectionStyle()));
  };

  cr.clearSelection = function () { clearSelection(); return 0; };
  cr.selection = function () { return S.selIds.slice(); };

  function setToolMode(mode) {
    S.toolMode = S.toolMode === mode ? null : mode;
    S.map.getContainer().classList.toggle('cr-selecting', S.toolMode !== null);
    updateToolbar();
  }

  function installDragSelect() {
    var container = S.map.getContainer();
    S.map.boxZoom.disable();  // shift+drag is ours: rectangle selection, not box zoom
    container.addEventListener('mousedown', function (e) {
      var mode = S.toolMode || (e.shiftKey ? 'rect' : null);
      if (!mode || e.button !== 0) { return; }
      if (e.target && e.target.closest && e.target.closest('.leaflet-control')) { return; }
      e.preventDefault();
      e.stopPropagation();  // capture phase: Leaflet's drag handler never sees this press
      var start = S.map.mouseEventToLatLng(e);
      var pts = [start];
      var lastPx = S.map.mouseEventToContainerPoint(e);
      var shape = mode === 'rect'
        ? L.rectangle(L.latLngBounds(start, start), selectionStyle())
        : L.polyline([start], selectionStyle());
      S.selLayer.clearLayers();
      S.selLayer.addLayer(shape);
      function move(ev) {
        var ll = S.map.mouseEventToLatLng(ev);
        if (mode === 'rect') {
          shape.setBounds(L.latLngBounds(start, ll));
        } else {
          var px = S.map.mouseEventToContainerPoint(ev);
          if (px.distanceTo(lastPx) >= 4) { pts.push(ll); lastPx = px; shape.addLatLng(ll); }
        }
      }
      function up(ev) {
        document.removeEventListener('mousemove', move, true);
        document.removeEventListener('mouseup', up, true);
        var end = S.map.mouseEventToLatLng(ev);
        S.toolMode = null;
        container.classList.remove('cr-selecting');
        if (mode === 'rect') {
          var b = L.latLngBounds(start, end);
          cr.selectBounds(b.getSouth(), b.getWest(), b.getNorth(), b.getEast());
        } else {
          pts.push(end);
          cr.selectPolygon(pts.map(function (p) { return [p.lat, p.lng]; }));
        }
      }
      document.addEventListener('mousemove', move, true);
      document.addEventListener('mouseup', up, true);
    }, true);
  }

  function button(parent, text, title, onClick) {
    var b = el('a', 'cr-tool', text);
    b.href = '#';
    b.setAttribute('role', 'button');
    b.title = title;
    L.DomEvent.on(b, 'click', function (e) { L.DomEvent.stop(e); onClick(); });
    parent.appendChild(b);
    return b;
  }

  function updateToolbar() {
    if (!S.toolbar) { return; }
    S.toolbar.rect.classList.toggle('cr-tool-on', S.toolMode === 'rect');
    S.toolbar.lasso.classList.toggle('cr-tool-on', S.toolMode === 'lasso');
    S.toolbar.status.textContent = S.selIds.length ? S.cfg.texts.selected.replace('{n}', S.selIds.length) : '';
    S.toolbar.status.style.display = S.selIds.length ? '' : 'none';
  }

  function addToolbar() {
    var T = S.cfg.texts;
    var Toolbar = L.Control.extend({
      options: { position: 'topleft' },
      onAdd: function () {
        var box = el('div', 'leaflet-bar cr-toolbar');
        S.toolbar = {
          rect: button(box, T.rectSelect, T.rectSelectTip, function () { setToolMode('rect'); }),
          lasso: button(box, T.lassoSelect, T.lassoSelectTip, function () { setToolMode('lasso'); }),
          clear: button(box, T.clearSelect, T.clearSelect, function () { clearSelection(); }),
          fit: button(box, T.wholeCounty, T.wholeCounty, function () { S.autoFit = true; S.map.fitBounds(S.cfg.bounds, { padding: [10, 10] }); }),
          status: el('div', 'cr-tool-status')
        };
        box.appendChild(S.toolbar.status);
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        return box;
      }
    });
    new Toolbar().addTo(S.map);
    updateToolbar();
  }

  // ------------------------------------------------------------------ labels, legend, layer control

  function labelMarker(latlng, text, cls, sub, color) {
    var box = el('div', 'cr-label-box');
    var t = el('span', 'cr-label-text', text);
    if (color) { t.style.color = color; }
    box.appendChild(t);
    if (sub) { box.appendChild(el('span', 'cr-label-sub', sub)); }
    return L.marker(latlng, {
      icon: L.divIcon({ html: box, className: 'cr-label ' + cls, iconSize: null }),
      interactive: false, keyboard: false, pane: 'crLabels'
    });
  }

  function featureLabels(geojsonLayer, cls, subFn, colorFn) {
    var g = L.layerGroup();
    if (!geojsonLayer) { return g; }
    geojsonLayer.eachLayer(function (layer) {
      var p = layer.feature && layer.feature.properties;
      if (p && p.label && p.name) {
        g.addLayer(labelMarker(p.label, p.name, cls + (p.stacked ? ' cr-label-stacked' : ''),
          subFn ? subFn(p) : '', colorFn ? colorFn(p) : null));
      }
    });
    return g;
  }

  function swatch(kind, color, extraCls) {
    var s = el('span', 'cr-sw cr-sw-' + kind + (extraCls ? ' ' + extraCls : ''));
    if (color) { s.style.background = color; }
    return s;
  }

  function legendItem(parent, sw, text) {
    var r = el('div', 'cr-legend-item');
    r.appendChild(sw);
    r.appendChild(el('span', null, text));
    parent.appendChild(r);
  }

  function addLegend() {
    var C = S.cfg;
    var T = C.texts;
    var Legend = L.Control.extend({
      options: { position: 'bottomright' },
      onAdd: function () {
        var box = el('div', 'cr-legend');
        var head = el('div', 'cr-legend-title', T.legend);
        var body = el('div', 'cr-legend-body');
        head.title = T.legendToggle;
        head.addEventListener('click', function () { box.classList.toggle('cr-legend-collapsed'); });
        box.appendChild(head);
        box.appendChild(body);

        body.appendChild(el('div', 'cr-legend-sec', T.legendStates));
        var grid = el('div', 'cr-legend-grid');
        C.stateOrder.forEach(function (st) { legendItem(grid, swatch('dot', C.stateColors[st]), C.stateLabels[st]); });
        body.appendChild(grid);

        body.appendChild(el('div', 'cr-legend-sec', T.legendUrgency));
        var urg = el('div', 'cr-legend-grid');
        ['L1', 'L2', 'L3', 'L4'].forEach(function (u) {
          var s = swatch('dot', '#9ca3af');
          var r = C.urgencyRadius[u] * 2;
          s.style.width = r + 'px';
          s.style.height = r + 'px';
          if (u === 'L1') { s.style.border = '2px solid #111827'; }
          legendItem(urg, s, C.urgencyLabels[u]);
        });
        body.appendChild(urg);

        body.appendChild(el('div', 'cr-legend-sec', T.legendOther));
        var other = el('div', 'cr-legend-grid');
        legendItem(other, swatch('ring', null), T.overdue);
        legendItem(other, swatch('cluster', null), T.legendCluster);
        legendItem(other, swatch('report', null), T.openReport);
        legendItem(other, swatch('team', null), T.teamMember);
        legendItem(other, swatch('zone', null), T.zonesLayer);
        legendItem(other, swatch('town', null), T.townshipShort);
        body.appendChild(other);
        if (C.townshipsApproximate) { body.appendChild(el('div', 'cr-legend-note', T.approxNote)); }
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        return box;
      }
    });
    var legend = new Legend().addTo(S.map);
    // Two columns fit the Chinese words; a grid whose (translated) words do not fit gets one.
    Array.prototype.forEach.call(legend.getContainer().querySelectorAll('.cr-legend-grid'), function (g) {
      if (g.scrollWidth > g.clientWidth + 1) { g.classList.add('cr-legend-grid-1'); }
    });
  }

  function addLayerControl(L0) {
    var T = S.cfg.texts;
    var bases = {};
    var overlays = {};
    function name(s) { return escapeHtml(s); }
    if (L0.basemaps && L0.basemaps.length && window.crBasemap) {
      window.crBasemap.addBases(S.map, S.cfg, L0.basemaps, bases, overlays, name);
    } else if (L0.tiles) {
      var none = L.layerGroup();
      bases[name(T.vectorBase)] = none;
      bases[name(T.tileBase)] = L0.tiles;
      if (!S.map.hasLayer(L0.tiles)) { none.addTo(S.map); }
    }
    function overlay(label, layer, shown) {
      if (!layer) { return; }
      overlays[name(label)] = layer;
      if (shown && !S.map.hasLayer(layer)) { layer.addTo(S.map); }
      if (!shown && S.map.hasLayer(layer)) { S.map.removeLayer(layer); }
    }
    overlay(T.outlineLayer, L0.outline, true);
    overlay(S.cfg.townshipsApproximate ? T.townshipsLayerApprox : T.townshipsLayer, L0.townships, true);
    overlay(T.zonesLayer, L0.zones, true);
    overlay(T.gridsLayer, L0.grids, false);
    overlay(T.heatLayer, S.heat, false);
    overlay(T.openIncidentsLayer, S.open, true);
    overlay(T.closedIncidentsLayer, S.closed, false);
    overlay(T.reportsLayer, S.reports, true);
    overlay(T.teamsLayer, S.teams, true);
    S.layerControl = L.control.layers(bases, overlays, { collapsed: false, position: 'topright', sortLayers: false }).addTo(S.map);
  }

  // ------------------------------------------------------------------ render notifications

  function flushRenderWaiters() {
    if (S.pendingLoads > 0 || !S.renderWaiters.length) { return; }
    var waiters = S.renderWaiters;
    S.renderWaiters = [];
    // rAF runs just before the next paint; a zero timeout queued from it runs after that paint.
    requestAnimationFrame(function () {
      setTimeout(function () {
        waiters.forEach(function (token) { callQt('rendered', [token]); });
      }, 0);
    });
  }

  /** Tell Qt (bridge 'rendered'(token)) once pending clustering is done and a frame was drawn. */
  cr.afterRender = function (token) {
    S.renderWaiters.push(token | 0);
    flushRenderWaiters();
    return S.pendingLoads;
  };

  // ------------------------------------------------------------------ inspection (tests, diagnostics)

  cr.stats = function () {
    return {
      timing: S.timing || null,
      incidents: S.inc.size, reports: S.rep.size, teams: S.team.size, pendingLoads: S.pendingLoads,
      zoom: S.map.getZoom(), openShown: S.map.hasLayer(S.open), closedShown: S.map.hasLayer(S.closed),
      selection: S.selIds.length, highlighted: S.hlId
    };
  };

  cr.incidentState = function (id) {
    var m = S.inc.get(id);
    if (!m) { return null; }
    var ll = m.getLatLng();
    return {
      lat: ll.lat, lng: ll.lng, fillColor: m.options.fillColor, color: m.options.color,
      radius: m.options.radius, overdue: m.crOverdue, state: m.crData.st, urgency: m.crData.urg,
      group: groupFor(m.crData) === S.closed ? 'closed' : 'open',
      className: m.options.className, visible: !!m._map
    };
  };

  /** Where an individually drawn incident is, in CSS pixels of the map container (or null). */
  cr.markerPoint = function (id) {
    var m = S.inc.get(id);
    if (!m || !m._map) { return null; }
    var p = S.map.latLngToContainerPoint(m.getLatLng());
    return [p.x, p.y];
  };

  /** Zoom to a point and put it at the centre of the part of the map that ``padLeft`` pixels on the left
   *  leave free (the wall's urgent card covers them); returns the point's container pixel [x, y]. */
  cr.focusPoint = function (lat, lon, zoom, padLeft) {
    S.autoFit = false;
    S.map.invalidateSize({ animate: false });
    var z = Math.max(S.map.getMinZoom(), Math.min(S.map.getMaxZoom(), zoom));
    var target = S.map.project([lat, lon], z).subtract([(padLeft || 0) / 2, 0]);
    S.map.setView(S.map.unproject(target, z), z, { animate: false });
    var p = S.map.latLngToContainerPoint([lat, lon]);
    return [p.x, p.y];
  };

  /** The map-container pixel of a lat/lon (tests drive real mouse drags with it). */
  cr.containerPoint = function (lat, lon) {
    var p = S.map.latLngToContainerPoint([lat, lon]);
    return [p.x, p.y];
  };

  // ------------------------------------------------------------------ init

  // Labels and markers in proportion to the screen: 1 on a desk, larger on the wall (its height / 1080 lines).
  cr.setScale = function (scale) {
    S.scale = scale > 0 ? scale : 1;
    document.documentElement.style.setProperty('--cr-scale', String(S.scale));
    [S.open, S.closed].forEach(function (g) { if (g) { g.eachLayer(restyle); } });
    return S.scale;
  };

  cr.init = function (map, cfg, layers) {
    S.map = map;
    S.cfg = cfg;
    S.scale = cfg.scale || 1;
    document.documentElement.style.setProperty('--cr-scale', String(S.scale));
    // Zoom stays integral: Leaflet.markercluster 1.4 stops showing single markers at fractional zooms.
    map.setMinZoom(cfg.minZoom);
    map.setMaxZoom(cfg.maxZoom);  // no tile layer = no max zoom, which markercluster needs
    map.attributionControl.setPrefix(false);
    [['crBase', 350], ['crIncidents', 450], ['crHighlight', 460], ['crReports', 610], ['crTeams', 620], ['crLabels', 630]]
      .forEach(function (p) {
        if (!map.getPane(p[0])) { map.createPane(p[0]).style.zIndex = p[1]; }
      });
    map.getPane('crLabels').style.pointerEvents = 'none';
    S.popup = L.popup({ maxWidth: 340, minWidth: 220, autoPanPadding: L.point(40, 40) });
    S.tooltip = L.tooltip({ direction: 'top', offset: L.point(0, -8), opacity: 0.95 });
    map.on('popupclose', function (e) { if (e.popup === S.popup) { S.popupId = null; } });

    S.open = makeClusterGroup(false);
    S.closed = makeClusterGroup(true);
    S.heat = L.heatLayer([], cfg.heatOptions);
    S.reports = pointCluster('cr-report-cluster', cfg.texts.reportGlyph, 'crReports');
    S.teams = pointCluster('cr-team-cluster', cfg.texts.teamGlyph, 'crTeams');
    S.selLayer = L.layerGroup().addTo(map);
    S.selRings = L.layerGroup().addTo(map);
    [S.open, S.closed].forEach(function (g) { g.on('animationend', function () { if (S.selIds.length) { drawSelectionRings(); } }); });
    map.on('zoomend moveend overlayadd overlayremove', function () { if (S.selIds.length) { drawSelectionRings(); } });
    function zoomClass() { map.getContainer().classList.toggle('cr-zoom-low', map.getZoom() < cfg.detailZoom); }
    map.on('zoomend viewreset resize', zoomClass);
    // Until someone moves the map, keep the whole county in view as the widget is resized
    // (the page often loads before the widget has its final size).
    S.autoFit = true;
    ['mousedown', 'wheel', 'touchstart', 'keydown'].forEach(function (t) {
      map.getContainer().addEventListener(t, function () { S.autoFit = false; }, true);
    });
    map.on('resize', function () {
      if (S.autoFit) { map.fitBounds(cfg.bounds, { padding: [10, 10], animate: false }); }
      zoomClass();
    });
    map.on('overlayadd', function (e) { if (e.layer === S.heat) { S.heatDirty = true; refreshHeat(); } });

    // Base overlays = folium's GeoJSON layer + our text labels, toggled together.
    function withLabels(geo, labels) {
      if (!geo) { return null; }
      if (map.hasLayer(geo)) { map.removeLayer(geo); }
      return L.layerGroup([geo, labels]);
    }
    var approx = cfg.townshipsApproximate ? cfg.texts.approxShort : '';
    var L0 = {
      tiles: layers.tiles || null,
      basemaps: layers.basemaps || null,
      outline: layers.outline || null,
      townships: withLabels(layers.townships, featureLabels(layers.townships, 'cr-label-town', function (p) { return p.approximate ? approx : ''; })),
      zones: withLabels(layers.zones, featureLabels(layers.zones, 'cr-label-zone', null, function (p) { return p.color; })),
      grids: withLabels(layers.grids, featureLabels(layers.grids, 'cr-label-grid'))
    };
    addLayerControl(L0);
    addToolbar();
    addLegend();
    installDragSelect();
    L.control.scale({ imperial: false, position: 'bottomleft' }).addTo(map);
    map.fitBounds(cfg.bounds, { padding: [10, 10], animate: false });
    zoomClass();
    S.overdueTimer = setInterval(refreshOverdue, cfg.overdueRefreshMs);
    cr.ready = true;
    return true;
  };
})();
