/* Offline base maps on the incident map: the layer switch and the GCJ-02 alignment.
 *
 * Everything the page draws is WGS84. Tiles in GCJ-02 (高德-style) are drawn in the pixel grid
 * of GCJ-02 coordinates, so while such a base map is shown the map uses a CRS whose projection
 * first adds the GCJ-02 offset: every overlay (outline, areas, markers, heat, selection) then
 * lands on the spot the tiles show, and clicks/selections unproject back to WGS84.
 * The offset is not computed here: the page gets it sampled on a grid (cfg.gcjGrid, from
 * commandroom.refdata.geo.gcj02_offset_grid) and interpolates bilinearly.
 */
(function () {
  'use strict';

  function gcjOffset(grid, lat, lng) {
    if (!grid) { return [0, 0]; }
    var fx = (lng - grid.west) / grid.step;
    var fy = (lat - grid.south) / grid.step;
    var c = Math.max(0, Math.min(grid.cols - 2, Math.floor(fx)));
    var r = Math.max(0, Math.min(grid.rows - 2, Math.floor(fy)));
    var tx = Math.max(0, Math.min(1, fx - c));
    var ty = Math.max(0, Math.min(1, fy - r));
    function bil(a) {
      var i = r * grid.cols + c;
      return a[i] * (1 - tx) * (1 - ty) + a[i + 1] * tx * (1 - ty) +
        a[i + grid.cols] * (1 - tx) * ty + a[i + grid.cols + 1] * tx * ty;
    }
    return [bil(grid.dlat), bil(grid.dlon)];
  }

  function gcjCrs(grid) {
    var merc = L.Projection.SphericalMercator;
    var projection = {
      bounds: merc.bounds,
      project: function (latlng) {
        var d = gcjOffset(grid, latlng.lat, latlng.lng);
        return merc.project(L.latLng(latlng.lat + d[0], latlng.lng + d[1]));
      },
      unproject: function (point) {
        var g = merc.unproject(point);
        var lat = g.lat, lng = g.lng;
        for (var i = 0; i < 5; i++) {  // fixed point: the offset changes slowly
          var d = gcjOffset(grid, lat, lng);
          lat = g.lat - d[0];
          lng = g.lng - d[1];
        }
        return L.latLng(lat, lng);
      }
    };
    return L.extend({}, L.CRS.EPSG3857, { code: 'CR:GCJ02', projection: projection });
  }

  var api = {
    crs: {},
    gcjOffset: gcjOffset,
    current: null,

    /* Switch the map to the CRS of a base map ('wgs84' | 'gcj02'), keeping the view. */
    setCrs: function (map, which) {
      var crs = api.crs[which] || L.CRS.EPSG3857;
      if (map.options.crs === crs) { return; }
      var center = map.getCenter();
      var zoom = map.getZoom();
      map.options.crs = crs;
      api.current = which;
      if (map._loaded) { map._resetView(center, zoom, true); }
    },

    /* Fill the layer control: "无底图" plus one entry per base layer, labels as an overlay. */
    addBases: function (map, cfg, entries, bases, overlays, name) {
      api.crs = { wgs84: L.CRS.EPSG3857, gcj02: gcjCrs(cfg.gcjGrid) };
      // Tiles appear as soon as they are decoded: Leaflet's 0.2 s fade-in only delays the first
      // readable map (and costs frames while panning).
      map._fadeAnimated = false;
      var byLayer = [];
      var none = L.layerGroup();
      bases[name(cfg.basemapTexts.none)] = none;
      var first = null;
      entries.forEach(function (e) {
        if (!e.layer) { return; }
        e.layer.crBaseCrs = e.crs;
        if (e.overlay) {
          overlays[name(e.label)] = e.layer;
          if (!map.hasLayer(e.layer)) { e.layer.addTo(map); }
          return;
        }
        bases[name(e.label)] = e.layer;
        byLayer.push(e.layer);
        if (first === null) { first = e; } else if (map.hasLayer(e.layer)) { map.removeLayer(e.layer); }
      });
      if (first) {
        if (!map.hasLayer(first.layer)) { first.layer.addTo(map); }
        api.setCrs(map, first.crs);
      } else {
        none.addTo(map);
      }
      none.crBaseCrs = 'wgs84';
      // A labels layer drawn for the other coordinate system would sit ~500 m off: it steps aside
      // while such a base is shown and comes back with a base of its own system.
      var parked = [];
      function matchOverlays(which) {
        entries.forEach(function (e) {
          if (!e.overlay || !e.layer) { return; }
          if (e.crs !== which && map.hasLayer(e.layer)) { map.removeLayer(e.layer); parked.push(e.layer); }
          if (e.crs === which && parked.indexOf(e.layer) >= 0) {
            parked.splice(parked.indexOf(e.layer), 1);
            e.layer.addTo(map);
          }
        });
      }
      map.on('baselayerchange', function (ev) {
        var which = ev.layer.crBaseCrs || 'wgs84';
        api.setCrs(map, which);
        // after the layer control has finished its own click, so it shows the overlay's new state
        setTimeout(function () { matchOverlays(which); }, 0);
      });
      matchOverlays(first ? first.crs : 'wgs84');
    }
  };
  window.crBasemap = api;
})();
