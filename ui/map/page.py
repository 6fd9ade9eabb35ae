"""Build the offline map page with folium: a folder with ``index.html`` and its ``lib/`` files.

The page is written to disk and loaded by file URL (never ``setHtml``: its 2 MB limit).
Everything it loads is in that folder: Leaflet and Leaflet.markercluster from the
``xstatic`` packages, Leaflet.heat from folium's own templates, and our
``cr_map.js``/``cr_map.css``. folium's CDN defaults (jQuery, Bootstrap, Font Awesome,
awesome-markers) are dropped, so the rendered HTML holds no http(s) URL.

Only the base layers (county outline, township areas, zones, grids, optional local
tiles) are baked in. Incidents, reports and team members are pushed afterwards
through the ``window.cr`` API (see ``assets/cr_map.js``), so a live update never
reloads the page.

A Content-Security-Policy with a per-build nonce allows only the page's own scripts:
an injected ``<img onerror=…>`` or ``<script>`` would not run even if some future code
forgot ``textContent``. Of Qt only QtCore's translation is used: the page's words
(:data:`TEXTS`, state/urgency/status/source labels) are English sources translated by the
installed translator when the page is built, see :func:`page_config`.
"""

from __future__ import annotations

import contextlib
import math
import re
import secrets
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import folium
import jinja2
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from folium.map import CustomPane
from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from commandroom.domain.enums import IncidentState, MemberStatus
from commandroom.queries.map_base import BaseLayers
from ui import i18n
from ui.common.states import INCIDENT_STATE_COLOURS
from ui.map.tiles import LocalBaseMap, TileSetInfo
from ui.zones import labels as zone_labels

ASSETS = Path(__file__).resolve().parent / "assets"
LIB = "lib"
TILE_URL = "tiles:///{z}/{x}/{y}"


def _vendor_files() -> dict[str, Path]:
    """``{name under lib/: source file}`` for everything the page loads."""
    import xstatic.pkg.leaflet as xleaflet
    import xstatic.pkg.leaflet_markercluster as xcluster

    leaflet = Path(xleaflet.BASE_DIR)
    cluster = Path(xcluster.BASE_DIR)
    files = {
        "leaflet.js": leaflet / "leaflet.js",
        "leaflet.css": leaflet / "leaflet.css",
        "leaflet.markercluster.js": cluster / "leaflet.markercluster.js",
        "MarkerCluster.css": cluster / "MarkerCluster.css",
        "MarkerCluster.Default.css": cluster / "MarkerCluster.Default.css",
        "leaflet-heat.js": Path(folium.__file__).parent / "templates" / "leaflet_heat.min.js",
        "cr_map.js": ASSETS / "cr_map.js",
        "cr_basemap.js": ASSETS / "cr_basemap.js",
        "cr_map.css": ASSETS / "cr_map.css",
    }
    for image in (leaflet / "images").iterdir():
        files[f"images/{image.name}"] = image
    return files


def copy_assets(out_dir: Path) -> None:
    """Copy the page's libraries into ``out_dir/lib`` (Leaflet's CSS finds ``lib/images``)."""
    for name, src in _vendor_files().items():
        dst = out_dir / LIB / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        if not dst.exists() or dst.stat().st_size != src.stat().st_size:
            shutil.copyfile(src, dst)


LEAFLET_JS = [("leaflet", f"{LIB}/leaflet.js")]
LEAFLET_CSS = [("leaflet_css", f"{LIB}/leaflet.css")]
CLUSTER_JS = [("markerclusterjs", f"{LIB}/leaflet.markercluster.js")]
CLUSTER_CSS = [
    ("markerclustercss", f"{LIB}/MarkerCluster.css"),
    ("markerclusterdefaultcss", f"{LIB}/MarkerCluster.Default.css"),
]
HEAT_JS = [("leaflet-heat.js", f"{LIB}/leaflet-heat.js")]


def offline_map(**kwargs: Any) -> folium.Map:
    """A folium Map whose own assets are the local Leaflet files (no jQuery/Bootstrap/CDN)."""
    m = folium.Map(**kwargs)
    # Instance attributes shadow the class defaults; the class lists stay untouched.
    m.default_js = list(LEAFLET_JS)
    m.default_css = list(LEAFLET_CSS)
    return m


# --------------------------------------------------------------------------- look and words

STATE_COLORS = {IncidentState(k): v for k, v in INCIDENT_STATE_COLOURS.items()}  # ui.common.states
URGENCY_RADIUS = {"L1": 10, "L2": 8, "L3": 6, "L4": 7}
HEAT_WEIGHT = {"L1": 1.0, "L2": 0.75, "L3": 0.5, "L4": 0.6}
MEMBER_STATUS_COLORS = {
    MemberStatus.AVAILABLE: "#16a34a",
    MemberStatus.EN_ROUTE: "#2563eb",
    MemberStatus.ON_SCENE: "#dc2626",
    MemberStatus.OFF_DUTY: "#9ca3af",
}

# The page's words, English source; :func:`page_texts` translates them when a page is built.
TEXTS = {
    "legend": QT_TRANSLATE_NOOP("MapPage", "Legend"),
    "legendToggle": QT_TRANSLATE_NOOP("MapPage", "Click to collapse or expand the legend"),
    "legendStates": QT_TRANSLATE_NOOP("MapPage", "Incident state (colour)"),
    "legendUrgency": QT_TRANSLATE_NOOP("MapPage", "Urgency (size)"),
    "legendOther": QT_TRANSLATE_NOOP("MapPage", "Other"),
    "legendCluster": QT_TRANSLATE_NOOP("MapPage", "Incident cluster (count)"),
    "overdue": QT_TRANSLATE_NOOP("MapPage", "Overdue"),
    "openReport": QT_TRANSLATE_NOOP("MapPage", "New report"),
    "reportGlyph": QT_TRANSLATE_NOOP("MapPage", "R"),
    "teamGlyph": QT_TRANSLATE_NOOP("MapPage", "T"),
    "teamMember": QT_TRANSLATE_NOOP("MapPage", "Enforcement officer"),
    "townshipShort": QT_TRANSLATE_NOOP("MapPage", "Township area"),
    "approxShort": QT_TRANSLATE_NOOP("MapPage", "Approx. boundary"),
    "approxNote": QT_TRANSLATE_NOOP(
        "MapPage",
        "Township areas are approximate boundaries (Voronoi polygons around the township seats), "
        "not legal administrative boundaries; they are replaced automatically once official "
        "boundaries are available.",
    ),
    "vectorBase": QT_TRANSLATE_NOOP("MapPage", "Vector base map"),
    "tileBase": QT_TRANSLATE_NOOP("MapPage", "Offline tile base map"),
    "outlineLayer": QT_TRANSLATE_NOOP("MapPage", "County boundary"),
    "townshipsLayer": QT_TRANSLATE_NOOP("MapPage", "Township areas"),
    "townshipsLayerApprox": QT_TRANSLATE_NOOP("MapPage", "Township areas (approximate boundaries)"),
    "zonesLayer": QT_TRANSLATE_NOOP("MapPage", "Enforcement zones"),
    "gridsLayer": QT_TRANSLATE_NOOP("MapPage", "Grids"),
    "heatLayer": QT_TRANSLATE_NOOP("MapPage", "Incident heat map"),
    "openIncidentsLayer": QT_TRANSLATE_NOOP("MapPage", "Incidents (open)"),
    "closedIncidentsLayer": QT_TRANSLATE_NOOP("MapPage", "Incidents (closed)"),
    "reportsLayer": QT_TRANSLATE_NOOP("MapPage", "New reports"),
    "teamsLayer": QT_TRANSLATE_NOOP("MapPage", "Enforcement officer positions"),
    "noNumber": QT_TRANSLATE_NOOP("MapPage", "(no number)"),
    "category": QT_TRANSLATE_NOOP("MapPage", "Category"),
    "address": QT_TRANSLATE_NOOP("MapPage", "Address"),
    "closeDue": QT_TRANSLATE_NOOP("MapPage", "Close deadline"),
    "openDetail": QT_TRANSLATE_NOOP("MapPage", "View details"),
    "source": QT_TRANSLATE_NOOP("MapPage", "Source"),
    "reporter": QT_TRANSLATE_NOOP("MapPage", "Reporter"),
    "reportedAt": QT_TRANSLATE_NOOP("MapPage", "Reported at"),
    "status": QT_TRANSLATE_NOOP("MapPage", "Status"),
    "zone": QT_TRANSLATE_NOOP("MapPage", "Zone"),
    "statusAt": QT_TRANSLATE_NOOP("MapPage", "Status since"),
    "rectSelect": QT_TRANSLATE_NOOP("MapPage", "Rectangle"),
    "rectSelectTip": QT_TRANSLATE_NOOP(
        "MapPage", "Select incidents with a rectangle (or drag with Shift held down)"
    ),
    "lassoSelect": QT_TRANSLATE_NOOP("MapPage", "Lasso"),
    "lassoSelectTip": QT_TRANSLATE_NOOP("MapPage", "Lasso selection: press and drag to draw the area"),
    "clearSelect": QT_TRANSLATE_NOOP("MapPage", "Clear"),
    "wholeCounty": QT_TRANSLATE_NOOP("MapPage", "Whole county"),
    "selected": QT_TRANSLATE_NOOP("MapPage", "{n} selected"),  # the page replaces {n}
}
TILE_ATTRIBUTION = QT_TRANSLATE_NOOP("MapPage", "Local tile cache")
# The layer switch's words for the downloaded base maps (cr_basemap.js reads cfg.basemapTexts).
BASEMAP_TEXTS = {
    "none": QT_TRANSLATE_NOOP("MapPage", "No base map"),
    "streets": QT_TRANSLATE_NOOP("MapPage", "Street map"),
    "imagery": QT_TRANSLATE_NOOP("MapPage", "Imagery"),
    "labels": QT_TRANSLATE_NOOP("MapPage", "Map labels"),
}


def page_texts() -> dict[str, str]:
    """:data:`TEXTS` in the language of the installed translator (English without one)."""
    return {key: QCoreApplication.translate("MapPage", text) for key, text in TEXTS.items()}


def _labels(
    table: dict[str, str], label: Callable[[dict[str, str], str], str] = i18n.label
) -> dict[str, str]:
    """``{value: translated label}`` of a label table, through its module's ``label()``."""
    return {value: label(table, value) for value in table}


@dataclass
class PageOptions:
    """Knobs of the page (the wall screen wants bigger labels and no toolbar later)."""

    overdue_refresh_ms: int = 30_000
    min_zoom: int = 9  # each zoom level between min and max costs markercluster a clustering pass
    detail_zoom: int = 11  # below it, township labels drop their "approximate boundary" line
    max_zoom: int = 18
    max_selection_rings: int = 2000
    heat_radius: int = 22
    scale: float = 1.0  # labels and markers: 1 on a desk; the wall passes its height / 1080 lines

    @property
    def tile_magnification(self) -> int:
        """How many times larger the base map is drawn: :func:`tile_magnification` of :attr:`scale`."""
        return tile_magnification(self.scale)


def tile_magnification(scale: float) -> int:
    """The power of two nearest to ``scale`` (1 on a desk; 2 on a 1080-line wall, 4 on a 4K one).

    A base map's names and roads are drawn in its tiles, so the page's ``scale`` cannot enlarge them.
    On the wall each tile is shown ``m`` times larger (Leaflet ``tileSize`` 256·m with ``zoomOffset``
    −log2 m: the tile of the zoom log2 m below fills the same ground), and vector tiles are drawn at
    256·m pixels with lines and names m times thicker and larger, so the map reads from across the
    room like its markers. Only powers of two keep the tile grid of the zooms.
    """
    if scale <= 1.0:
        return 1
    return 2 ** max(0, round(math.log2(scale)))


def page_config(base: BaseLayers, options: PageOptions) -> dict[str, Any]:
    """The JSON config object handed to ``cr.init`` (colours, labels, bounds).

    Its words are translated here, with the translator installed now: a page built after
    the language changed speaks the new language (nothing of the page is cached).
    """
    s, w, n, e = base.bounds
    return {
        "bounds": [[s, w], [n, e]],
        "minZoom": options.min_zoom,
        "detailZoom": options.detail_zoom,
        "maxZoom": options.max_zoom,
        "stateOrder": [str(st) for st in STATE_COLORS],
        "stateColors": {str(k): v for k, v in STATE_COLORS.items()},
        "stateLabels": _labels(i18n.INCIDENT_STATE_LABELS),
        "urgencyLabels": _labels(i18n.URGENCY_LABELS),
        "urgencyRadius": URGENCY_RADIUS,
        "scale": options.scale,
        "memberStatusLabels": _labels(zone_labels.STATUS_LABELS, zone_labels.label),
        "memberStatusColors": {str(k): v for k, v in MEMBER_STATUS_COLORS.items()},
        "sourceLabels": _labels(i18n.SOURCE_LABELS),
        "zoneNames": {f["properties"]["id"]: f["properties"]["name"] for f in base.zones["features"]},
        "unknownColor": "#6b7280",
        "overdueColor": "#dc2626",
        "highlightColor": "#f59e0b",
        "selectionColor": "#1d4ed8",
        "heatWeight": HEAT_WEIGHT,
        "heatOptions": {
            "radius": options.heat_radius,
            "blur": 18,
            "maxZoom": 14,
            "minOpacity": 0.35,
            "gradient": {"0.3": "#3b82f6", "0.55": "#22c55e", "0.75": "#eab308", "1": "#dc2626"},
        },
        "townshipsApproximate": base.townships_approximate,
        "overdueRefreshMs": options.overdue_refresh_ms,
        "maxSelectionRings": options.max_selection_rings,
        "texts": page_texts(),
    }


class CrDataLayers(JSCSSMixin, MacroElement):
    """Loads markercluster, heat and ``cr_map.js`` and calls ``cr.init`` with the base layers."""

    _template = jinja2.Template(
        """
        {% macro script(this, kwargs) %}
            cr.init({{ this._parent.get_name() }}, {{ this.config|tojson }}, {
                outline: {{ this.layer_names.outline }},
                townships: {{ this.layer_names.townships }},
                zones: {{ this.layer_names.zones }},
                grids: {{ this.layer_names.grids }},
                tiles: {{ this.layer_names.tiles }},
                basemaps: {{ this.basemaps_js }}
            });
        {% endmacro %}
        """
    )
    default_js: ClassVar[list[tuple[str, str]]] = CLUSTER_JS + HEAT_JS + [("cr_basemap", f"{LIB}/cr_basemap.js"), ("cr_map", f"{LIB}/cr_map.js")]
    default_css: ClassVar[list[tuple[str, str]]] = [*CLUSTER_CSS, ("cr_map_css", f"{LIB}/cr_map.css")]

    def __init__(self, config: dict[str, Any], layers: dict[str, Any]) -> None:
        super().__init__()
        self._name = "CrDataLayers"
        self.config = config
        self.layer_names = {k: (v.get_name() if v is not None else "null") for k, v in layers.items()}
        self.basemaps_js = "null"

    def set_basemaps(self, entries: list[tuple[LocalBaseMap, folium.TileLayer]], texts: dict[str, str]) -> None:
        """The local base maps for the layer switch: ``[{key, label, crs, overlay, layer}]`` in JS."""
        import json

        parts = []
        for base, layer in entries:
            label = texts.get(base.layer, base.layer)
            meta = json.dumps({"key": base.layer, "label": label, "crs": base.crs, "overlay": base.overlay},
                              ensure_ascii=False).replace("<", "\\u003c")  # never a "</script>" in the page
            parts.append(f"L.extend({meta}, {{layer: {layer.get_name()}}})")
        self.basemaps_js = "[" + ", ".join(parts) + "]"


def basemap_tile_layers(
    m: folium.Map, basemaps: list[LocalBaseMap], options: PageOptions
) -> list[tuple[LocalBaseMap, folium.TileLayer]]:
    """One folium TileLayer per local raster base map, served by the ``tiles:`` scheme (no remote URL);
    shown :attr:`PageOptions.tile_magnification` times larger on the wall."""
    out = []
    magnification = options.tile_magnification
    shift = int(math.log2(magnification))
    larger: dict[str, Any] = {"tile_size": 256 * magnification, "zoom_offset": -shift} if shift else {}
    for base in basemaps:
        info = base.info
        layer = folium.TileLayer(
            tiles=basemap_tile_url(base.layer),
            attr=info.attribution or QCoreApplication.translate("MapPage", TILE_ATTRIBUTION),
            name=f"basemap-{base.layer}",
            min_zoom=options.min_zoom,
            max_zoom=options.max_zoom,
            # the page's zooms at which the tiles' own zooms are asked for (zoomOffset takes ``shift`` off)
            max_native_zoom=info.max_zoom + shift,
            min_native_zoom=info.min_zoom + shift,
            overlay=base.overlay,
            control=False,
            show=False,
            **larger,
        ).add_to(m)
        out.append((base, layer))
    return out


def basemap_tile_url(layer: str) -> str:
    return f"tiles:///{layer}/{{z}}/{{x}}/{{y}}"


def gcj_grid_for(base: BaseLayers, basemaps: list[LocalBaseMap]) -> dict[str, Any] | None:
    """The GCJ-02 offset grid over the county when a base map is in GCJ-02 (see cr_basemap.js)."""
    if not any(b.crs == "gcj02" for b in basemaps):
        return None
    from commandroom.refdata.geo import gcj02_offset_grid

    s, w, n, e = base.bounds
    pad = 0.3  # the view may wander past the county: keep the offset exact around it
    return gcj02_offset_grid((w - pad, s - pad, e + pad, n + pad), step=0.02)


def build_map(
    base: BaseLayers,
    *,
    tiles: TileSetInfo | None = None,
    options: PageOptions | None = None,
    basemaps: list[LocalBaseMap] | None = None,
) -> folium.Map:
    """The folium Map of the page (not yet written)."""
    options = options or PageOptions()
    m = offline_map(
        location=list(base.center),
        zoom_start=10,
        tiles=None,
        control_scale=False,
        zoom_control=True,
    )
    CustomPane("crBase", z_index=350, pointer_events=False).add_to(m)

    tile_layer = None
    if tiles is not None:
        tile_layer = folium.TileLayer(
            tiles=TILE_URL,
            attr=tiles.attribution or QCoreApplication.translate("MapPage", TILE_ATTRIBUTION),
            name="tiles",
            min_zoom=options.min_zoom,
            max_zoom=options.max_zoom,
            max_native_zoom=tiles.max_zoom,
            min_native_zoom=tiles.min_zoom,
            overlay=False,
            control=False,
            show=True,
        ).add_to(m)

    def geo(data: dict[str, Any], style: Any, **kw: Any) -> folium.GeoJson | None:
        if not data.get("features"):
            return None
        return folium.GeoJson(
            data, style_function=style, control=False, pane="crBase", interactive=False, **kw
        ).add_to(m)

    layers = {
        "townships": geo(
            base.townships,
            lambda f: {
                "color": "#6b7280",
                "weight": 1,
                "dashArray": "4 4" if f["properties"].get("approximate") else None,
                "fillColor": f["properties"].get("color", "#9ca3af"),
                "fillOpacity": 0.06,
            },
        ),
        "zones": geo(
            base.zones,
            lambda f: {
                "color": f["properties"].get("color", "#374151"),
                "weight": 3,
                "opacity": 0.85,
                "fillColor": f["properties"].get("color", "#374151"),
                "fillOpacity": 0.1,
            },
        ),
        "grids": geo(
            base.grids,
            lambda f: {"color": "#0f766e", "weight": 1, "fillOpacity": 0.03, "dashArray": "2 3"},
            marker=folium.CircleMarker(radius=3, color="#0f766e", fill=True),
        ),
        "outline": geo(
            base.outline,
            lambda f: {"color": "#1f2937", "weight": 3, "fill": False, "opacity": 0.9},
        ),
        "tiles": tile_layer,
    }
    basemaps = [b for b in (basemaps or []) if b.info.fmt in ("png", "jpg", "jpeg", "webp")]
    config = page_config(base, options)
    config["gcjGrid"] = gcj_grid_for(base, basemaps)
    config["basemapTexts"] = {k: QCoreApplication.translate("MapPage", v) for k, v in BASEMAP_TEXTS.items()}
    data_layers = CrDataLayers(config, layers)
    if basemaps:
        data_layers.set_basemaps(basemap_tile_layers(m, basemaps, options), config["basemapTexts"])
    data_layers.add_to(m)
    return m


CSP = (
    "default-src 'none'; "
    "script-src 'nonce-{nonce}'; "
    "style-src 'unsafe-inline' file:; "
    "img-src file: tiles: data: blob:; "
    "font-src file: data:; "
    "connect-src 'none'; "
    "object-src 'none'; frame-src 'none'; worker-src 'none'; "
    "base-uri 'none'; form-action 'none'"
)


class _Literal:
    """Text that needs no template engine: renders as itself."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def render(self, *_args: Any, **_kwargs: Any) -> str:
        text = self.text.replace("\r\n", "\n")
        return text[:-1] if text.endswith("\n") else text  # as Jinja renders it (no trailing newline kept)


_JINJA_MARKS = ("{{", "{%", "{#")


def _template_or_literal(source: Any, *args: Any, **kwargs: Any) -> Any:
    if isinstance(source, str) and not args and not kwargs and not any(m in source for m in _JINJA_MARKS):
        return _Literal(source)
    return jinja2.Template(source, *args, **kwargs)


@contextlib.contextmanager
def _no_template_compiles() -> Iterator[None]:
    """While folium renders, text it has already rendered (the embedded GeoJSON among it, ~150 KB) is not
    compiled again as a Jinja template: branca wraps each rendered piece in ``Element(text)``, which compiled
    it — about two thirds of the page build (0.3 s of 0.5 s, more under load) for text that has no template
    markup. Text with markup still goes through Jinja."""
    import branca.element as be

    original = be.Template
    be.Template = _template_or_literal  # type: ignore[assignment,misc]
    try:
        yield
    finally:
        be.Template = original  # type: ignore[misc]


def render_html(m: folium.Map, nonce: str | None = None) -> str:
    """The page's HTML: folium's output plus a nonce CSP that only our own scripts satisfy."""
    nonce = nonce or secrets.token_urlsafe(18)
    with _no_template_compiles():
        html = m.get_root().render()
    # folium escapes "<" inside embedded JSON (tojson), so every "<script" here is a real tag.
    html = re.sub(r"<script(?=[\s>])", f'<script nonce="{nonce}"', html)
    meta = (
        f'<meta http-equiv="Content-Security-Policy" content="{CSP.format(nonce=nonce)}">\n'
        '<meta name="referrer" content="no-referrer">\n'
    )
    return html.replace("<head>", "<head>\n" + meta, 1)


def build_map_page(
    out_dir: str | Path,
    base: BaseLayers,
    *,
    tiles: TileSetInfo | None = None,
    options: PageOptions | None = None,
    basemaps: list[LocalBaseMap] | None = None,
) -> Path:
    """Write the page into ``out_dir`` (``index.html`` + ``lib/``) and return the HTML path.

    Args:
        out_dir: a folder owned by the caller (created if missing).
        base: the vector base layers, see :func:`commandroom.queries.map_base.load_base_layers`.
        tiles: the local MBTiles tile set to offer as a base layer, or None (no tile layer).
        options: page knobs.
        basemaps: the desk's downloaded base maps (raster layers are offered in the layer switch).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    copy_assets(out)
    html = render_html(build_map(base, tiles=tiles, options=options, basemaps=basemaps))
    path = out / "index.html"
    path.write_text(html, encoding="utf-8")
    return path


def bridge_script_source() -> str:
    """The isolated-world glue (see ``assets/cr_bridge.js``); qwebchannel.js is prepended by Qt code."""
    return (ASSETS / "cr_bridge.js").read_text(encoding="utf-8")
