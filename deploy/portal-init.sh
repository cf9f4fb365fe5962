#!/bin/sh
# Users and session secret for the portal in containers (docker-compose.yml,
# service "portal"): DIR (default run/portal) gets portal-secret and
# portal-users.json with one admin whose password is printed once, readable
# by the container's user (uid 10001). Never over existing files.
#   deploy/portal-init.sh [DIR] [ADMIN_NAME]
set -eu
cd "$(dirname "$0")/.."
DIR=${1:-run/portal}
NAME=${2:-drc-admin}
PORTAL=build/services/portal/jiju-portal
[ -x "$PORTAL" ] || ./deploy/build.sh
mkdir -p "$DIR"
if [ -e "$DIR/portal-users.json" ] || [ -e "$DIR/portal-secret" ]; then
    echo "portal-init: $DIR already holds portal files; nothing changed" >&2
    exit 1
fi
umask 077
head -c 48 /dev/urandom | base64 >"$DIR/portal-secret"
PW=$(head -c 12 /dev/urandom | base64 | tr -d '/+=')
printf '{"users": [{"name": "%s", "role": "admin", "password_hash": "%s"}]}\n' \
    "$NAME" "$(echo "$PW" | $PORTAL hash-password)" >"$DIR/portal-users.json"
chown 10001:10001 "$DIR/portal-secret" "$DIR/portal-users.json" 2>/dev/null || true
echo "portal users in $DIR: $NAME / $PW (add people and tokens: docs/api.md)"
