"""The offline incident map: a folium/Leaflet page in a QWebEngineView, fed live from the store.

``from ui.map.view import MapView`` is cheap; QtWebEngine and folium load when the first
view is shown. See :mod:`ui.map.view` (the widget), :mod:`ui.map.page` (the page
builder), ``ui/map/assets/cr_map.js`` (the page's ``window.cr`` API), :mod:`ui.map.web`
(locked page, request firewall, ``tiles:`` scheme) and :mod:`ui.map.bridge`.
"""
