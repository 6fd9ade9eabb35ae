"""QtWebEngine plumbing of the map: a locked page, a request firewall, the ``tiles:`` scheme.

Importing this module imports QtWebEngine (≈0.15 s), so only :mod:`ui.map.view` does it,
when the first map view is built.

* :func:`register_schemes` registers the ``tiles`` URL scheme. Qt ignores a late
  registration: it must run before the first QtWebEngine object exists (any time after
  QApplication is fine; calling it in ``main()`` before anything else is safest).
* :class:`TileSchemeHandler` answers ``tiles:///z/x/y`` from an MBTiles file.
* :class:`LocalOnlyInterceptor` blocks every request that is not ``file:`` under the
  page's own folder, ``tiles:``, ``data:`` or ``blob:`` — in particular all
  http(s)/ws(s).
* :class:`LockedPage` refuses every navigation except to its own page file, opens no
  windows, and logs the page's console.
* :func:`make_page` gives each map page its own off-the-record profile (no disk cache,
  no cookies) holding the tile handler.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QFile, QIODevice, QObject, QUrl
from PySide6.QtWebEngineCore import (
    QWebEnginePage,
    QWebEngineProfile,
    QWebEngineScript,
    QWebEngineSettings,
    QWebEngineUrlRequestInfo,
    QWebEngineUrlRequestInterceptor,
    QWebEngineUrlRequestJob,
    QWebEngineUrlScheme,
    QWebEngineUrlSchemeHandler,
)

from ui.map.page import bridge_script_source
from ui.map.tiles import MBTiles, parse_layer_tile_url

log = logging.getLogger(__name__)

TILE_SCHEME = b"tiles"
ALLOWED_SCHEMES = {"file", "tiles", "data", "blob", "about"}
BRIDGE_WORLD = QWebEngineScript.ScriptWorldId.ApplicationWorld


def register_schemes() -> bool:
    """Register the ``tiles`` scheme (idempotent). True if it is registered now."""
    if QWebEngineUrlScheme.schemeByName(QByteArray(TILE_SCHEME)).name() == QByteArray(TILE_SCHEME):
        return True
    scheme = QWebEngineUrlScheme(QByteArray(TILE_SCHEME))
    scheme.setSyntax(QWebEngineUrlScheme.Syntax.Path)
    # LocalScheme + LocalAccessAllowed: a file:// page may load its images; no network semantics.
    scheme.setFlags(
        QWebEngineUrlScheme.Flag.SecureScheme
        | QWebEngineUrlScheme.Flag.LocalScheme
        | QWebEngineUrlScheme.Flag.LocalAccessAllowed
        | QWebEngineUrlScheme.Flag.CorsEnabled
    )
    QWebEngineUrlScheme.registerScheme(scheme)
    return True


class TileSchemeHandler(QWebEngineUrlSchemeHandler):
    """Serves ``tiles:///z/x/y`` from the current MBTiles file and ``tiles:///layer/z/x/y`` from the
    desk's base map of that layer; 404 for anything missing."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.tiles: MBTiles | None = None
        self.sources: dict[str, MBTiles] = {}
        self.served = 0

    def requestStarted(self, job: QWebEngineUrlRequestJob) -> None:  # Qt override
        url = job.requestUrl().toString()
        parsed = parse_layer_tile_url(url)
        source = None
        if parsed is not None:
            source = self.tiles if parsed[0] is None else self.sources.get(parsed[0])
        data = source.tile(*parsed[1:]) if (source is not None and parsed is not None) else None
        if data is None:
            job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
            return
        buf = QBuffer(job)  # owned by the job: lives exactly as long as the reply needs it
        buf.setData(QByteArray(data))
        buf.open(QIODevice.OpenModeFlag.ReadOnly)
        job.reply(QByteArray(source.info.mime.encode()), buf)
        self.served += 1


class LocalOnlyInterceptor(QWebEngineUrlRequestInterceptor):
    """Blocks every request that is not local to the page (records what it blocked)."""

    def __init__(self, page_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.page_dir = str(page_dir.resolve())
        self.blocked: list[str] = []

    def interceptRequest(self, info: QWebEngineUrlRequestInfo) -> None:  # Qt override
        url = info.requestUrl()
        scheme = url.scheme().lower()
        allowed = scheme in ALLOWED_SCHEMES
        if allowed and scheme == "file":
            path = str(Path(url.toLocalFile()).resolve())
            allowed = path == self.page_dir or path.startswith(self.page_dir + "/")
        if not allowed:
            info.block(True)
            text = url.toString()
            self.blocked.append(text)
            log.warning("map page: blocked request to %s", text[:200])


class LockedPage(QWebEnginePage):
    """A page that stays on its own file: no navigation away, no new windows."""

    def __init__(self, profile: QWebEngineProfile, home: QUrl, parent: QObject | None = None) -> None:
        super().__init__(profile, parent)
        self.home = home
        self.refused: list[str] = []
        self.tile_handler: TileSchemeHandler | None = None
        s = self.settings()
        attrs = QWebEngineSettings.WebAttribute
        for attr, on in (
            (attrs.JavascriptEnabled, True),
            (attrs.LocalContentCanAccessFileUrls, True),  # the page's lib/ files
            (attrs.LocalContentCanAccessRemoteUrls, False),
            (attrs.JavascriptCanOpenWindows, False),
            (attrs.JavascriptCanAccessClipboard, False),
            (attrs.JavascriptCanPaste, False),
            (attrs.LocalStorageEnabled, False),
            (attrs.PluginsEnabled, False),
            (attrs.PdfViewerEnabled, False),
            (attrs.NavigateOnDropEnabled, False),
            (attrs.HyperlinkAuditingEnabled, False),
            (attrs.DnsPrefetchEnabled, False),
            (attrs.AllowRunningInsecureContent, False),
            (attrs.AllowGeolocationOnInsecureOrigins, False),
            (attrs.ErrorPageEnabled, False),
            (attrs.ScreenCaptureEnabled, False),
            (attrs.WebGLEnabled, False),
            (attrs.FocusOnNavigationEnabled, False),
        ):
            s.setAttribute(attr, on)

    def acceptNavigationRequest(
        self, url: QUrl, nav_type: QWebEnginePage.NavigationType, is_main_frame: bool
    ) -> bool:
        if url.isLocalFile() and url.toLocalFile() == self.home.toLocalFile():
            return True  # the page itself (a reload, or a #fragment); nothing else
        self.refused.append(url.toString())
        log.warning("map page: refused navigation to %s", url.toString()[:200])
        return False

    def createWindow(self, _type: QWebEnginePage.WebWindowType) -> QWebEnginePage | None:
        return None

    def javaScriptConsoleMessage(self, level, message: str, line: int, source: str) -> None:
        lvl = (
            logging.WARNING
            if level == QWebEnginePage.JavaScriptConsoleMessageLevel.ErrorMessageLevel
            else logging.DEBUG
        )
        log.log(lvl, "map js %s:%s: %s", source.rsplit("/", 1)[-1], line, message)


def make_page(
    home: QUrl, tiles: MBTiles | None, parent: QObject | None = None, sources: dict[str, MBTiles] | None = None
) -> LockedPage:
    """A LockedPage on its own off-the-record profile (no disk cache, no cookies, no storage).

    The profile becomes the page's child: Qt destroys the page first, then its children,
    which is the order QtWebEngine requires ("Release of profile requested but
    WebEnginePage still not deleted" otherwise). The tile handler is the profile's child.
    """
    register_schemes()
    profile = QWebEngineProfile()  # no storage name: off the record
    profile.setHttpCacheType(QWebEngineProfile.HttpCacheType.MemoryHttpCache)
    profile.setPersistentCookiesPolicy(QWebEngineProfile.PersistentCookiesPolicy.NoPersistentCookies)
    profile.setSpellCheckEnabled(False)
    handler = TileSchemeHandler(profile)
    handler.tiles = tiles
    handler.sources = dict(sources or {})
    profile.installUrlSchemeHandler(QByteArray(TILE_SCHEME), handler)
    page = LockedPage(profile, home, parent)
    profile.setParent(page)
    page.tile_handler = handler
    return page


def bridge_script() -> QWebEngineScript:
    """qwebchannel.js + cr_bridge.js, injected at document creation into the isolated world."""
    f = QFile(":/qtwebchannel/qwebchannel.js")
    if not f.open(QIODevice.OpenModeFlag.ReadOnly):
        raise RuntimeError("qwebchannel.js is missing from Qt's resources")
    source = bytes(f.readAll().data()).decode("utf-8")
    f.close()
    script = QWebEngineScript()
    script.setName("cr-bridge")
    script.setSourceCode(source + "\n" + bridge_script_source())
    script.setInjectionPoint(QWebEngineScript.InjectionPoint.DocumentCreation)
    script.setWorldId(BRIDGE_WORLD)
    script.setRunsOnSubFrames(False)
    return script
