#!/bin/sh
# Configure and build Jiju into ./build (warnings are errors).
set -eu
cd "$(dirname "$0")/.."
cmake -S . -B build -DJIJU_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
# The portal's browser libraries (ECharts) from npm into build/web/vendor.
./deploy/web-deps.sh
