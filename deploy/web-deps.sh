#!/bin/sh
# The portal's third-party browser pieces, from npm into build/web (never
# committed): Apache ECharts, served by the portal itself under /vendor/ (no
# CDN: the pages work on an intranet without internet), and playwright-core,
# which drives Debian's chromium in the browser test. Nothing is downloaded
# when the pinned versions are already there.
set -eu
cd "$(dirname "$0")/.."
DIR=build/web
ECHARTS=5.6.0
PLAYWRIGHT=1.49.1
mkdir -p "$DIR/vendor"
have() { [ -f "$DIR/node_modules/$1/package.json" ] &&
         grep -q "\"version\": \"$2\"" "$DIR/node_modules/$1/package.json"; }
if ! have echarts $ECHARTS || ! have playwright-core $PLAYWRIGHT; then
    [ -f "$DIR/package.json" ] || echo '{"name": "jiju-portal-web", "private": true}' >"$DIR/package.json"
    (cd "$DIR" && npm install --no-audit --no-fund --loglevel=error \
        "echarts@$ECHARTS" "playwright-core@$PLAYWRIGHT")
fi
cp "$DIR/node_modules/echarts/dist/echarts.min.js" "$DIR/vendor/echarts.min.js"
cp "$DIR/node_modules/echarts/LICENSE" "$DIR/vendor/echarts.LICENSE.txt"
