#!/bin/bash
# docker-entrypoint.sh - what the Jiju image runs (deploy/Dockerfile).
#
#   docker-entrypoint.sh jiju-ingest [--set k=v]...  an ingest replica (below)
#   docker-entrypoint.sh health PORT                 the container's health probe
#   docker-entrypoint.sh jiju-SERVICE [ARGS]...      a service, after JIJU_WAIT_FOR
#   docker-entrypoint.sh COMMAND [ARGS]...           anything else, exec'd as is
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

# probe HOST PORT [tcp]: does the service at HOST:PORT answer?
probe() {
    local host=$1 port=$2 rc
    if [ "${3:-}" != tcp ] && jiju --help 2>/dev/null | grep -q '^ *ping '; then
        rc=0
        timeout 8 jiju ping "tcp://$host:$port" >/dev/null 2>&1 || rc=$?
        [ "$rc" -ne 2 ] && return "$rc" # 2 = usage: this endpoint cannot be pinged
    fi
    timeout 3 bash -c "exec 3<>/dev/tcp/$host/$port" 2>/dev/null
}

# Start order by health, the same under docker-compose and Swarm (which
# ignores depends_on): wait until every HOST:PORT of JIJU_WAIT_FOR answers the
# probe its own health check uses, at most JIJU_WAIT_TIMEOUT seconds (120);
# then start anyway, since every stream reconnects by itself.
wait_for_peers() {
    local peer deadline=$((SECONDS + ${JIJU_WAIT_TIMEOUT:-120}))
    for peer in ${JIJU_WAIT_FOR:-}; do
        until probe "${peer%:*}" "${peer##*:}"; do
            if [ "$SECONDS" -ge "$deadline" ]; then
                say warn peer_not_ready "peer=$peer action=starting_anyway"
                return 0
            fi
            sleep 1
        done
        say info peer_ready "peer=$peer"
    done
}

# The probe asks the service itself: `jiju ping` on its query/admin endpoint
# when the CLI has it; a plain TCP connect otherwise (and for ingest, whose
# submit protocol has no ping: a connect proves the ROUTER is bound).
health() {
    probe 127.0.0.1 "${1:?usage: health PORT [tcp]}" "${2:-}"
}

case ${1:-} in
health)
    shift
    health "$@"
    ;;
jiju-ingest | */jiju-ingest)
    wait_for_peers
    ingest "$@"
    ;;
jiju-*)
    wait_for_peers
    exec "$@"
    ;;
'') exec jiju --help ;;
*) exec "$@" ;;
esac
