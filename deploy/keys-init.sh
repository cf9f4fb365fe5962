#!/bin/bash
# keys-init.sh - CURVE keys for a Jiju deployment (DESIGN.md "Security",
# docs/operations.md "Security" and "Containers with CURVE").
#
#   deploy/keys-init.sh [--dir DIR] [--image IMAGE] [--owner UID:GID] [--if-missing]
#                       [--admin NAME]... [--subscriber ID]...
#                       [--reporter NAME=CLUSTER[,CLUSTER...]]...
#
# Makes, in DIR (default deploy/keys):
#   server/<svc>.key   the key pair of each service (assessment, archive,
#                      notification, ingest: the replicas share one), mode 0400
#   server/<svc>.pub   its public key alone, for peers and clients
#   server/portal.key  the portal's key pair (jiju-portal: a client of the
#                      four services), allow-listed with role admin: it
#                      submits and queries for the people it has signed in,
#                      checking their roles itself (docs/api.md "With CURVE")
#   server/keys.json   the allow-list every service reads: the four services,
#                      the portal, and every client key below with its role
#   clients/<name>.key client key pairs: admins (default one, "admin"),
#                      subscribers (name = subscriber id) and reporters
#
# server/ is what the containers mount (deploy/compose.curve.yml); clients/
# stays with the operator, who hands each pair to its owner (JIJU_CLIENT_KEY_FILE
# for the CLI). A department that makes its own pair adds just its public key
# to server/keys.json. Files owned by root are chown'ed to --owner (default
# 10001:10001, the image's jiju user) so the containers can read them.
#
# Key pairs come from `jiju keygen` (libzmq's zmq_curve_keypair): the local
# build's (build/cli/jiju), else `jiju` on PATH, else with --image from the
# image (docker run). Nothing is overwritten: an existing DIR/server/keys.json
# stops the script, or with --if-missing ends it successfully (the compose
# file's keys-init service runs it so at every `up`: keys are made once).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)

DIR=$ROOT/deploy/keys
IMAGE=""
OWNER=10001:10001
IF_MISSING=""
ADMINS=()
SUBSCRIBERS=()
REPORTERS=()

die() {
    echo "keys-init: $*" >&2
    exit 1
}
usage() {
    sed -n '4,7p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}
name_ok() { [[ $1 =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$ ]]; }

while [ $# -gt 0 ]; do
    case $1 in
    --dir) DIR=${2:?--dir needs a directory} && shift ;;
    --image) IMAGE=${2:?--image needs an image} && shift ;;
    --owner) OWNER=${2:?--owner needs UID:GID} && shift ;;
    --if-missing) IF_MISSING=1 ;;
    --admin) ADMINS+=("${2:?--admin needs a name}") && shift ;;
    --subscriber) SUBSCRIBERS+=("${2:?--subscriber needs an id}") && shift ;;
    --reporter) REPORTERS+=("${2:?--reporter needs NAME=CLUSTER,...}") && shift ;;
    -h | --help) usage ;;
    *) die "unknown argument '$1' (--help)" ;;
    esac
    shift
done
[ ${#ADMINS[@]} -gt 0 ] || ADMINS=(admin)
[[ $OWNER =~ ^[0-9]+:[0-9]+$ ]] || die "--owner '$OWNER': expected UID:GID (numbers)"
for n in "${ADMINS[@]}" "${SUBSCRIBERS[@]}"; do
    name_ok "$n" || die "name '$n': letters, digits, '.', '_' and '-' only, at most 64"
    case $n in assessment | archive | notification | ingest | portal)
        die "name '$n': taken by a key keys-init makes for the service of that name" ;;
    esac
done
for r in "${REPORTERS[@]}"; do
    [[ $r =~ ^([^=]+)=([A-Za-z0-9._-]+(,[A-Za-z0-9._-]+)*)$ ]] && name_ok "${BASH_REMATCH[1]}" ||
        die "--reporter '$r': expected NAME=CLUSTER[,CLUSTER...]"
done

DIR=$(mkdir -p "$DIR" && cd "$DIR" && pwd)
if [ -e "$DIR/server/keys.json" ] && [ -n "$IF_MISSING" ]; then
    echo "keys-init: $DIR/server/keys.json exists: kept"
    exit 0
fi
[ -e "$DIR/server/keys.json" ] && die "$DIR/server/keys.json exists: keys are never overwritten (remove $DIR to start over)"
mkdir -p "$DIR/server" "$DIR/clients"
chmod 0755 "$DIR/server"
chmod 0700 "$DIR/clients"

# keygen NAME FILE: a new pair in FILE; prints the public key.
if [ -n "$IMAGE" ]; then
    keygen() {
        docker run --rm -u 0 -v "$(dirname "$2"):/keys" --entrypoint jiju "$IMAGE" \
            keygen --name "$1" --out "/keys/$(basename "$2")"
    }
elif [ -x "$ROOT/build/cli/jiju" ]; then
    keygen() { "$ROOT/build/cli/jiju" keygen --name "$1" --out "$2"; }
elif command -v jiju >/dev/null; then
    keygen() { jiju keygen --name "$1" --out "$2"; }
else
    die "no jiju command: build first (deploy/build.sh) or give --image IMAGE"
fi

entries=()
entry() { # entry NAME ROLE PUBLIC [EXTRA JSON]
    entries+=("  {\"public\": \"$3\", \"name\": \"$1\", \"role\": \"$2\"${4:+, $4}}")
}
for svc in assessment archive notification ingest; do
    pub=$(keygen "$svc" "$DIR/server/$svc.key")
    echo "$pub" >"$DIR/server/$svc.pub"
    entry "$svc" service "$pub"
done
pub=$(keygen portal "$DIR/server/portal.key")
echo "$pub" >"$DIR/server/portal.pub"
entry portal admin "$pub"
for n in "${ADMINS[@]}"; do
    entry "$n" admin "$(keygen "$n" "$DIR/clients/$n.key")"
done
for n in "${SUBSCRIBERS[@]}"; do
    entry "$n" subscriber "$(keygen "$n" "$DIR/clients/$n.key")" "\"subscriber\": \"$n\""
done
for r in "${REPORTERS[@]}"; do
    n=${r%%=*} list=${r#*=}
    entry "$n" reporter "$(keygen "$n" "$DIR/clients/$n.key")" "\"clusters\": [\"${list//,/\", \"}\"]"
done
# Z85 has no '"' or '\', and names were checked above: printf makes valid JSON.
{
    echo '{"keys": ['
    for ((i = 0; i < ${#entries[@]}; i++)); do
        printf '%s%s\n' "${entries[i]}" "$([ $((i + 1)) -lt ${#entries[@]} ] && echo ,)"
    done
    echo ']}'
} >"$DIR/server/keys.json"

chmod 0400 "$DIR"/server/*.key
chmod 0644 "$DIR"/server/*.pub "$DIR/server/keys.json"
[ "$(id -u)" -eq 0 ] && chown -R "$OWNER" "$DIR/server"
echo "keys-init: $DIR/server: 4 service key pairs, the portal's and keys.json (${#entries[@]} keys);" \
    "$DIR/clients: ${ADMINS[*]} ${SUBSCRIBERS[*]} ${REPORTERS[*]%%=*}"
