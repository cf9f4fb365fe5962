#!/bin/bash
# docker-entrypoint.sh - what the Jiju image runs (deploy/Dockerfile).
#
#   docker-entrypoint.sh jiju-ingest [--set k=v]...  an ingest replica (below)
#   docker-entrypoint.sh health PORT [MODE]          the container's health probe
#   docker-entrypoint.sh jiju-SERVICE [ARGS]...      a service, after JIJU_WAIT_FOR
#   docker-entrypoint.sh keys-init [ARGS]...         deploy/keys-init.sh (+ $JIJU_KEYS_INIT_ARGS)
#   docker-entrypoint.sh backup                      tar.gz of the store volume to stdout
#   docker-entrypoint.sh restore [--force]           tar.gz from stdin into an empty volume
#   docker-entrypoint.sh COMMAND [ARGS]...           anything else, exec'd as is
#
# Settings from the environment: every JIJU_CFG_<KEY>=VALUE becomes
# --set <key>=VALUE for the service, the key lower-cased with "__" read as
# "." (JIJU_CFG_STREAM__HEARTBEAT_MS=500 -> stream.heartbeat_ms=500,
# JIJU_CFG_METRICS__PORT=9464). They come after the compose file's --set
# arguments, so the environment wins; an unknown key is refused by the
# service with event=config_refused key=... as any other.
#
# Backups (docs/operations.md "Stores and back-ups"): the image runs as uid
# 10001, which cannot write a host directory or read a root-owned one, so a
# backup streams through the container's stdout and a restore through its
# stdin, with the service stopped:
#   docker-compose stop archive
#   docker-compose run --rm --no-deps -T archive backup > archive.tgz
#   docker-compose run --rm --no-deps -T archive restore < archive.tgz   (a fresh volume)
#
# Ingest replicas and their stores. `docker-compose up --scale ingest=N` runs N
# containers of one service definition sharing ONE volume at /var/lib/jiju.
# Each replica claims the lowest free slot k (an flock on
# /var/lib/jiju/.slots/ingest-k.lock, held for the life of the process) and
# runs as instance "ingest-k" with its store in /var/lib/jiju/ingest-k. The
# instance id is therefore distinct per running replica and stable across
# container re-creation (upgrade, `up --force-recreate`, scale down then up):
# a new container adopts the store of the one it replaces, and streams on
# whatever that one had accepted but not yet delivered. (Using the container
# host name, i.e. its random id, would strand such a store at every re-create.)
# With Docker Swarm the volume is per node, so JIJU_NODE (set in the compose
# file to the template {{.Node.Hostname}}, which only Swarm expands) prefixes
# the id: "<node>-ingest-k". An explicit `--set instance=ID` disables all this.
#
# CURVE (deploy/compose.curve.yml, docs/operations.md "Containers with
# CURVE"): when JIJU_KEYS_DIR names a directory made by deploy/keys-init.sh
# (its server/ part), every service gets its security.* settings from it
# (its own <svc>.key, keys.json, the peers' <peer>.pub), and the health and
# start-order probes talk CURVE with the key of the service they ask.
set -euo pipefail

DATA=${JIJU_DATA_DIR:-/var/lib/jiju}

say() { # say LEVEL EVENT [key=value...]: a log line like the services' own
    local level=$1 event=$2
    shift 2
    echo "ts=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ) level=$level svc=entrypoint event=$event $*" >&2
}

die() {
    say error "$@"
    exit 1
}

has_set() { # has_set KEY ARGS... : is "--set KEY=..." among ARGS?
    local key=$1
    shift
    while [ $# -gt 0 ]; do
        case $1 in
        --set) [ $# -gt 1 ] && case $2 in "$key"=*) return 0 ;; esac ;;
        --set="$key"=*) return 0 ;;
        esac
        shift
    done
    return 1
}

ingest() {
    local node=${JIJU_NODE:-} prefix k lock
    has_set instance "$@" && exec "$@"
    case $node in *'{{'* | *'}}'*) node= ;; esac # not under Swarm: unexpanded
    prefix=${node:+$node-}ingest-
    mkdir -p "$DATA/.slots" || die slots_unwritable "dir=$DATA/.slots"
    for ((k = 1; k <= 1000; k++)); do
        lock="$DATA/.slots/$prefix$k.lock"
        exec 9>>"$lock" || die slot_unwritable "lock=$lock"
        if flock -n 9; then
            say info slot_claimed "instance=$prefix$k store=$DATA/$prefix$k"
            # fd 9 stays open in the service: the slot is held until it exits
            has_set data_dir "$@" || set -- "$@" --set "data_dir=$DATA/%s"
            exec "$@" --set "instance=$prefix$k"
        fi
        exec 9>&-
    done
    die no_free_slot "dir=$DATA/.slots"
}

KEYS=${JIJU_KEYS_DIR:-}
SELF="" # the service this container runs, once known

# CFG: --set arguments from the JIJU_CFG_* environment variables.
CFG=()
cfg_from_env() {
    local name key
    while IFS= read -r name; do
        key=${name#JIJU_CFG_}
        key=${key,,}
        key=${key//__/.}
        [ -n "$key" ] && CFG+=(--set "$key=${!name}")
    done < <(compgen -e | grep '^JIJU_CFG_' | sort)
    [ ${#CFG[@]} -eq 0 ] || say info settings_from_environment "count=$((${#CFG[@]} / 2))"
}

# With keys made by the keys-init service at the first `up`, a service may
# start before they exist (Swarm ignores depends_on): wait for them a while.
wait_for_keys() {
    local deadline=$((SECONDS + ${JIJU_KEYS_WAIT:-60}))
    [ -n "$KEYS" ] || return 0
    until [ -r "$KEYS/keys.json" ]; do
        [ "$SECONDS" -ge "$deadline" ] && return 0 # security_args says what is missing
        sleep 1
    done
}

# pubkey SERVICE: the public key in $KEYS/SERVICE.pub
pubkey() {
    local key
    read -r key <"$KEYS/$1.pub" 2>/dev/null ||
        die keys_refused "file=$KEYS/$1.pub reason=\"missing or unreadable (deploy/keys-init.sh makes it)\""
    echo "$key"
}

# SECURITY: the --set security.* arguments of service $1 (none without KEYS).
SECURITY=()
security_args() {
    local svc=$1 f peer peers=""
    [ -n "$KEYS" ] || return 0
    for f in "$KEYS/keys.json" "$KEYS/$svc.key"; do
        [ -r "$f" ] || die keys_refused "file=$f reason=\"JIJU_KEYS_DIR is set but this file is missing or unreadable for uid $(id -u) (deploy/keys-init.sh makes it)\""
    done
    SECURITY=(--set "security.secret_key_file=$KEYS/$svc.key" --set "security.keys_file=$KEYS/keys.json")
    case $svc in
    ingest) peers="assessment archive" ;;
    archive | notification) peers=assessment ;;
    esac
    for peer in $peers; do
        SECURITY+=(--set "security.${peer}_public_key=$(pubkey "$peer")")
    done
}

# SECURITY for the portal: its key pair and the four services' public keys
# (none without KEYS). The departments' feeds need their own pairs
# (security.subscriber_keys_dir), which keys-init does not put on the server.
portal_security_args() {
    local peer
    [ -n "$KEYS" ] || return 0
    [ -r "$KEYS/portal.key" ] || die keys_refused "file=$KEYS/portal.key reason=\"JIJU_KEYS_DIR is set but this file is missing or unreadable for uid $(id -u) (deploy/keys-init.sh makes it; keys made before it did: add a pair with \`jiju keygen --name portal\` and allow-list it as admin)\""
    SECURITY=(--set "security.secret_key_file=$KEYS/portal.key")
    for peer in ingest assessment archive notification; do
        SECURITY+=(--set "security.${peer}_public_key=$(pubkey "$peer")")
    done
}

# probe HOST PORT [MODE]: does the service at HOST:PORT answer? MODE:
#   ping     `jiju ping`: a Ping QueryRequest (assessment's query endpoint)
#   ingest   `jiju ping --ingest`: a Ping SubmitRequest, answered PONG
#   archive  `jiju archive query --limit 1` (archive's query endpoint; one seek)
#   admin    `jiju subscription list` (notification's admin endpoint)
#   http     GET /healthz answered 200 (the portal)
#   tcp      a TCP connect only
# The others fall back to tcp when this CLI lacks the command (exit 2).
probe() {
    local host=$1 port=$2 mode=${3:-ping} rc=0 target=""
    # Under CURVE the probe talks with this container's own service key (a
    # service key may ping, query and list subscriptions): SELF when a
    # service starts, else (the health check) the key of the service asked.
    # A container holds only its own secret key under Swarm (deploy/stack.yml).
    case $mode in
    ping) target=assessment ;;
    ingest) target=ingest ;;
    archive) target=archive ;;
    admin) target=notification ;;
    esac
    if [ -n "$KEYS" ] && [ -n "$target" ]; then
        export JIJU_CLIENT_KEY_FILE=$KEYS/${SELF:-$target}.key
        JIJU_SERVER_KEY=$(pubkey "$target")
        export JIJU_SERVER_KEY
    fi
    case $mode in
    ping) timeout 8 jiju ping "tcp://$host:$port" --timeout-ms 3000 >/dev/null 2>&1 || rc=$? ;;
    ingest) timeout 8 jiju ping --ingest "tcp://$host:$port" --timeout-ms 3000 >/dev/null 2>&1 || rc=$? ;;
    archive)
        timeout 8 jiju archive query --endpoint "tcp://$host:$port" --limit 1 --timeout-ms 3000 \
            >/dev/null 2>&1 || rc=$?
        ;;
    admin)
        timeout 8 jiju subscription list --endpoint "tcp://$host:$port" --timeout-ms 3000 \
            >/dev/null 2>&1 || rc=$?
        ;;
    http)
        timeout 5 bash -c "exec 3<>/dev/tcp/$host/$port && printf 'GET /healthz HTTP/1.0\r\n\r\n' >&3 &&
            head -n 1 <&3 | grep -q ' 200 '" 2>/dev/null || rc=1
        return "$rc"
        ;;
    tcp) rc=2 ;;
    *) die bad_probe_mode "mode=$mode" ;;
    esac
    [ "$rc" -ne 2 ] && return "$rc"
    timeout 3 bash -c "exec 3<>/dev/tcp/$host/$port" 2>/dev/null
}

# Start order by health, the same under docker-compose and Swarm (which
# ignores depends_on): on a container's first start, wait until every
# HOST:PORT[/MODE] of JIJU_WAIT_FOR answers the probe its own health check
# uses, at most JIJU_WAIT_TIMEOUT seconds (90) in all, then start anyway:
# every stream reconnects by itself. A restart (crash, restart policy) does
# not wait: ingest accepts reports with assessment or archive down.
wait_for_peers() {
    local peer addr mode deadline=$((SECONDS + ${JIJU_WAIT_TIMEOUT:-90}))
    local mark=/tmp/.jiju-started # in the container's own layer: kept across restarts
    [ -e "$mark" ] && return 0
    for peer in ${JIJU_WAIT_FOR:-}; do
        addr=${peer%%/*} mode=ping
        [[ $peer == */* ]] && mode=${peer#*/}
        until probe "${addr%:*}" "${addr##*:}" "$mode"; do
            if [ "$SECONDS" -ge "$deadline" ]; then
                say warn peer_not_ready "peer=$peer action=starting_anyway"
                return 0
            fi
            sleep 1
        done
        say info peer_ready "peer=$peer"
    done
    : >"$mark" 2>/dev/null || true
}

# The container's health probe asks the service itself, a request answered by
# its own poll loop: `jiju ping` on assessment's query endpoint, `jiju ping
# --ingest` (a Ping SubmitRequest, answered PONG) on ingest's submit
# endpoint, a one-record `jiju archive query` on archive's, `jiju
# subscription list` on notification's admin endpoint.
health() {
    probe 127.0.0.1 "${1:?usage: health PORT [MODE]}" "${2:-ping}"
}

# backup: the whole store volume as tar.gz on stdout. restore: from stdin
# into the volume, which must be empty (a fresh volume) unless --force.
backup() {
    [ -t 1 ] && die backup_refused "reason=\"stdout is a terminal: redirect it to a file (docker-compose run -T ...)\""
    say info backup "dir=$DATA"
    exec tar -C "$DATA" -czf - .
}

restore() {
    local force=${1:-}
    [ -t 0 ] && die restore_refused "reason=\"stdin is a terminal: redirect a backup into it (docker-compose run -T ... < FILE)\""
    if [ "$force" != --force ] && [ -n "$(ls -A "$DATA" 2>/dev/null)" ]; then
        die restore_refused "dir=$DATA reason=\"not empty: restore into a fresh volume (docker volume rm), or --force\""
    fi
    tar -C "$DATA" -xzf - || die restore_failed "dir=$DATA"
    say info restored "dir=$DATA entries=$(ls -A "$DATA" | tr '\n' ' ')"
}

case ${1:-} in
health)
    shift
    health "$@"
    ;;
backup) backup ;;
restore)
    shift
    restore "$@"
    ;;
keys-init)
    shift
    # shellcheck disable=SC2086 # JIJU_KEYS_INIT_ARGS is a list of flags
    exec /usr/local/bin/jiju-keys-init "$@" ${JIJU_KEYS_INIT_ARGS:-}
    ;;
jiju-ingest | */jiju-ingest)
    SELF=ingest
    wait_for_keys
    security_args ingest
    cfg_from_env
    wait_for_peers
    ingest "$@" "${SECURITY[@]}" "${CFG[@]}"
    ;;
jiju-portal | */jiju-portal)
    # a client of the four services: under CURVE its own key pair
    # (portal.key, allow-listed as admin by deploy/keys-init.sh) and the
    # public key of each service it calls (docs/api.md "With CURVE")
    SELF=portal
    wait_for_keys
    portal_security_args
    cfg_from_env
    wait_for_peers
    exec "$@" "${SECURITY[@]}" "${CFG[@]}"
    ;;
jiju-* | */jiju-*)
    svc=${1##*/}
    SELF=${svc#jiju-}
    wait_for_keys
    security_args "${svc#jiju-}"
    cfg_from_env
    wait_for_peers
    exec "$@" "${SECURITY[@]}" "${CFG[@]}"
    ;;
'') exec jiju --help ;;
*) exec "$@" ;;
esac
