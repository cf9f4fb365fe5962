#!/bin/sh
# 100 subscribers with different filters, 10 stopped for a while, 5,000
# events from a real producer, notification killed with SIGKILL during
# delivery: every subscriber ends with exactly its matching events, in
# order, once; duplicates received carry the same event id.
set -eu
BIN=${1:-${JIJU_BIN_DIR:-build}}
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
exec "$PY" "$HERE/notify_fanout.py" "$BIN" --subscribers 100 --events 5000
