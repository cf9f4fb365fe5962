#!/bin/sh
# Install what is missing, build, and run every test (unit and integration).
set -eu
cd "$(dirname "$0")/.."
./deploy/install-deps.sh
./deploy/build.sh
ctest --test-dir build --output-on-failure -j2 --timeout 900 "$@"
