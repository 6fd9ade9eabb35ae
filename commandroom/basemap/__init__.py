"""Offline base maps: checking a tile package, keeping versions on the server, the demo map.

* :mod:`commandroom.basemap.package` reads an MBTiles or PMTiles file and says what is wrong
  with it in plain words (format, county coverage, zooms, tile encoding, coordinate system).
* :mod:`commandroom.basemap.library` records a checked package as the next version of a
  layer on the county server and keeps its file (``<data dir>/basemaps``).
* :mod:`commandroom.basemap.demo` renders the demo base map from the shipped reference data.

Coordinate conversion (WGS84 ↔ GCJ-02) lives in one place, :mod:`commandroom.refdata.geo`.
"""
