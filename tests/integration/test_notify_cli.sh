#!/bin/sh
# jiju subscription add / dead-letters / redeliver / list against a real
# notification: a webhook that fails, then is fixed; retention drops shown.
set -eu
BIN=${1:-${JIJU_BIN_DIR:-build}}
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
exec "$PY" "$HERE/notify_cli_check.py" "$BIN"
