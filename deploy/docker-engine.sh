# docker-engine.sh - sourced by test-compose.sh and test-swarm.sh: start
# dockerd when no engine answers, and stop only a dockerd started here.
# The caller sets DOCKER and WORK and defines log and fail.
DOCKERD_PID=""

engine_start() {
    $DOCKER info >/dev/null 2>&1 && return 0
    log "no engine answers: starting dockerd"
    dockerd >"$WORK/dockerd.log" 2>&1 &
    DOCKERD_PID=$!
    for _ in $(seq 60); do $DOCKER info >/dev/null 2>&1 && break; sleep 1; done
    $DOCKER info >/dev/null 2>&1 || { tail -20 "$WORK/dockerd.log"; fail "dockerd did not start"; }
}

engine_stop() {
    [ -n "$DOCKERD_PID" ] || return 0
    log "stopping the dockerd this script started (pid $DOCKERD_PID)"
    kill "$DOCKERD_PID" 2>/dev/null
    for _ in $(seq 30); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 1; done
}
