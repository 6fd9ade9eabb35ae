#!/usr/bin/env bash
# Installs the Debian packages the desktop and its tests need (fonts for Chinese,
# the libraries QtWebEngine loads offscreen, Xvfb, and chromium, which the field
# app's browser tests drive through Playwright) when they are missing and we
# are root; starts the local PostgreSQL when it is installed but not running.
set -u
need=()
for pkg in fonts-noto-cjk xvfb libnss3 libxkbcommon0 libxkbcommon-x11-0 libegl1 libgl1 libxcomposite1 libxdamage1 \
           libxrandr2 libxtst6 libxkbfile1 libasound2 libxshmfence1 libgbm1 libdbus-1-3 libfontconfig1 \
           libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 libxcb-randr0 \
           libxcb-render-util0 libxcb-image0 chromium; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing system packages: ${need[*]}"
    apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null 2>&1 \
      || echo "warning: could not install ${need[*]}" >&2
  else
    echo "note: missing system packages (install them for Chinese screenshots and the map): ${need[*]}" >&2
  fi
fi
# PostgreSQL at 127.0.0.1:5432: start the local cluster if it is installed and down.
if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    for v in $(ls /etc/postgresql); do
      pg_ctlcluster --skip-systemctl-redirect "$v" main start >/dev/null 2>&1 || true
    done
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
fi
exit 0
