#!/usr/bin/env bash
# The browser the end-to-end tests drive: Debian's Chromium (Playwright's own browser download
# is out of reach here) and axe-core, the accessibility engine the tests inject into pages,
# from npm into the cache outside the repo. Quick and silent once both are there.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/env.sh"
AXE_VERSION="${AXE_VERSION:-4.14.1}"
AXE_DIR="$CONCORD_CACHE/browser-tools"  # tests/support/browser.py looks here too
# CJK fonts: the console speaks zh-CN, and a screenshot without them shows empty boxes.
PACKAGES=(chromium fonts-wqy-zenhei)

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] || missing+=(fonts-wqy-zenhei)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "fetch-browser.sh: ${missing[*]} not installed, and only root can install it:" \
      "run 'apt-get install -y --no-install-recommends ${PACKAGES[*]}' as root" >&2
    exit 1
  fi
  echo "installing ${missing[*]} from Debian's packages (first run only)" >&2
  apt_install() {
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
      > /dev/null
  }
  # A machine whose package lists are missing or stale: fetch them once, then try again.
  apt_install || { apt-get update -qq > /dev/null && apt_install; }
  [ -x /usr/bin/chromium ] || { echo "fetch-browser.sh: /usr/bin/chromium still missing" >&2; exit 1; }
fi

axe_js="$AXE_DIR/node_modules/axe-core/axe.min.js"
axe_pkg="$AXE_DIR/node_modules/axe-core/package.json"
if [ ! -f "$axe_js" ] || ! grep -q "\"version\": \"$AXE_VERSION\"" "$axe_pkg" 2>/dev/null; then
  echo "installing axe-core $AXE_VERSION from npm into $AXE_DIR (first run only)" >&2
  mkdir -p "$AXE_DIR"
  npm install --prefix "$AXE_DIR" --no-audit --no-fund --loglevel=error --save-exact \
    "axe-core@$AXE_VERSION" > /dev/null
  [ -f "$axe_js" ] || { echo "fetch-browser.sh: $axe_js missing after npm install" >&2; exit 1; }
fi
