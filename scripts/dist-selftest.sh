#!/usr/bin/env bash
# Build both PyInstaller folders with build.spec (when stale) and run their --self-test.
#
#   bash scripts/dist-selftest.sh              build if dist/ is missing or older than the sources, then test
#   bash scripts/dist-selftest.sh --build      always build first
#   bash scripts/dist-selftest.sh --no-build   test what is in dist/
#
# Fails (exit 1) when the build fails, a file the apps need is missing from a bundle, the
# server bundle contains Qt, or either --self-test fails. Slow (minutes): not part of `make test`.
# Runs from a temporary folder with a temporary COMMANDROOM_HOME, so the bundles cannot
# lean on the source tree or on this machine's configuration.
set -u -o pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
DIST="$ROOT/dist"
APP="$DIST/CommandRoom"
SRV="$DIST/commandroom-server"
EXE=""
case "$(uname -s)" in MINGW*|MSYS*|CYGWIN*) EXE=".exe" ;; esac
mode="auto"
for arg in "$@"; do
  case "$arg" in
    --build) mode="build" ;;
    --no-build) mode="skip" ;;
    *) echo "usage: $0 [--build|--no-build]" >&2; exit 2 ;;
  esac
done

failures=()
fail() { echo "FAIL: $*" >&2; failures+=("$*"); }
secs() { echo $(( $(date +%s) - $1 )); }

# ---------------------------------------------------------------------------- build

stale() {
  [ -x "$APP/CommandRoom$EXE" ] && [ -x "$SRV/commandroom-server$EXE" ] || return 0
  local newest
  newest=$(find build.spec packaging commandroom ui data resources -type f \
             -not -path '*/__pycache__/*' -newer "$APP/CommandRoom$EXE" -print -quit 2>/dev/null)
  [ -n "$newest" ]
}

build_secs="-"
if [ "$mode" = "build" ] || { [ "$mode" = "auto" ] && stale; }; then
  echo "== building with build.spec (log: build/dist-selftest-build.log)"
  mkdir -p build
  t0=$(date +%s)
  if ! "$PY" -m PyInstaller --noconfirm build.spec >build/dist-selftest-build.log 2>&1; then
    tail -40 build/dist-selftest-build.log >&2
    echo "FAIL: pyinstaller build.spec" >&2
    exit 1
  fi
  build_secs=$(secs "$t0")
  echo "   built in ${build_secs} s"
elif [ "$mode" = "skip" ] && { [ ! -d "$APP" ] || [ ! -d "$SRV" ]; }; then
  echo "FAIL: --no-build but $APP or $SRV is missing (run: make dist)" >&2
  exit 1
else
  echo "== dist/ is current; not rebuilding (use --build to force)"
fi

# ---------------------------------------------------------------------------- what the bundles hold

echo "== checking the bundles' contents"
if [ -n "$EXE" ]; then  # the PySide6 wheels' layouts (not yet checked on Windows by this script)
  QT_DIR="PySide6"; WEBENGINE_PROCESS="PySide6/QtWebEngineProcess.exe"
else
  QT_DIR="PySide6/Qt"; WEBENGINE_PROCESS="PySide6/Qt/libexec/QtWebEngineProcess"
fi
need() {  # need BUNDLE_DIR GLOB...: each glob matches at least one file under the bundle's _internal
  local base="$1/_internal" name; name="$(basename "$1")"; shift
  for pattern in "$@"; do
    compgen -G "$base/$pattern" >/dev/null || fail "$name lacks $pattern"
  done
}
need "$APP" data/townships.csv data/county_outline_wgs84.geojson \
  commandroom/store/migrations/env.py commandroom/store/migrations/versions/0001_initial_schema.py \
  resources/i18n/zh_CN.qm resources/styles/app.qss ui/map/assets/cr_map.js ui/map/assets/cr_bridge.js \
  xstatic/pkg/leaflet/data/leaflet.js xstatic/pkg/leaflet/data/images/marker-icon.png \
  xstatic/pkg/leaflet_markercluster/data/leaflet.markercluster.js folium/templates/leaflet_heat.min.js \
  'qtawesome/fonts/fontawesome5-solid-webfont-*.ttf' \
  "$WEBENGINE_PROCESS" "$QT_DIR/resources/qtwebengine_resources.pak" \
  "$QT_DIR/translations/qtwebengine_locales/zh-CN.pak"
need "$SRV" data/townships.csv commandroom/store/migrations/env.py \
  commandroom/store/migrations/versions/0001_initial_schema.py
if [ -n "$(find "$SRV" \( -name 'PySide6' -o -name 'shiboken6' -o -name 'libQt6*' -o -name 'Qt6*.dll' \) -print -quit)" ]; then
  fail "the server bundle contains Qt"
fi
for pkg in ui folium pyqtgraph qasync; do
  [ -e "$SRV/_internal/$pkg" ] && fail "the server bundle contains $pkg"
done

# ---------------------------------------------------------------------------- self-tests

work="$(mktemp -d "${TMPDIR:-/tmp}/commandroom-dist-selftest.XXXXXX")"
trap 'rm -rf "$work"' EXIT
run_self_test() {  # run_self_test NAME EXPECTED_LINE TIMEOUT COMMAND...
  local name="$1" expect="$2" limit="$3"; shift 3
  local out="$work/$name.out" t0 rc
  echo "== $name --self-test"
  t0=$(date +%s)
  (cd "$work" && COMMANDROOM_HOME="$work/home-$name" timeout "$limit" "$@") >"$out" 2>&1
  rc=$?
  grep -E "self-test" "$out" | sed 's/^/   /'
  if [ "$rc" -ne 0 ]; then
    tail -30 "$out" | sed 's/^/   | /' >&2
    fail "$name --self-test exited $rc"
  elif ! grep -q "$expect" "$out"; then
    fail "$name --self-test printed no '$expect'"
  fi
  echo "   exit $rc in $(secs "$t0") s"
}

run_self_test server "all passed" 180 "$SRV/commandroom-server$EXE" --self-test

flags="${QTWEBENGINE_CHROMIUM_FLAGS:-}"
if [ "$(id -u 2>/dev/null || echo 1)" = 0 ] && [[ "$flags" != *--no-sandbox* ]]; then
  flags="$flags --no-sandbox"  # Chromium refuses to run as root with its sandbox
fi
QTWEBENGINE_CHROMIUM_FLAGS="${flags# }" \
  run_self_test desktop "map drawn" 300 "$APP/CommandRoom$EXE" --self-test

# ---------------------------------------------------------------------------- summary

echo "== sizes"
du -sh "$APP" "$SRV" | sed 's/^/   /'
echo "   build: ${build_secs} s"
if [ ${#failures[@]} -gt 0 ]; then
  echo "dist self-test FAILED: ${#failures[@]} problem(s)" >&2
  exit 1
fi
echo "dist self-test passed"
