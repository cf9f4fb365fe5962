#!/bin/sh
# swarm-weights.sh - compose's CPU weights for a Jiju stack on Docker Swarm,
# on this node: ingest's containers cpu.shares 1024, assessment's,
# archive's and notification's 512 (docker-compose.yml's cpu_shares; why:
# docs/operations.md "CPU weights").
#
#   deploy/swarm-weights.sh [STACK]           weight the running containers
#   deploy/swarm-weights.sh --watch [STACK]   and every one started later
#
# Why a script: a Swarm service spec has no CPU weight. `docker stack
# deploy` refuses cpu_shares in a version 3 file, and of deploy.resources
# the engine applies only limits (a CFS quota: a cap even on an idle node)
# to a task's container; reservations only steer the scheduler (moby's
# daemon/cluster/executor/container resources()). stack.yml reserves CPU in
# the same 2:1 ratio for placement; the weight itself is set here with
# `docker update --cpu-shares` on each node (run it on every node, e.g. as
# a systemd unit with --watch: a task Swarm starts again, after a kill or
# an update, is a new container, which --watch weights as it starts).
# deploy/test-swarm.sh runs it and checks the weights with docker inspect.
set -eu
DOCKER=${DOCKER:-docker}
WATCH=""
[ "${1:-}" = "--watch" ] && { WATCH=1; shift; }
STACK=${1:-jiju}

shares_of() { # the cpu.shares of a service of the stack (its name without the prefix)
    case "$1" in
    ingest) echo 1024 ;;
    assessment | archive | notification) echo 512 ;;
    *) echo "" ;;
    esac
}

weigh() { # container id: set its weight from its service's name
    svc=$($DOCKER inspect -f '{{index .Config.Labels "com.docker.swarm.service.name"}}' "$1" 2>/dev/null) || return 0
    shares=$(shares_of "${svc#"${STACK}"_}")
    [ -n "$shares" ] || return 0
    $DOCKER update --cpu-shares "$shares" "$1" >/dev/null 2>&1 || return 0
    echo "event=cpu_weight container=$(echo "$1" | cut -c1-12) service=$svc cpu_shares=$shares"
}

if [ -n "$WATCH" ]; then
    # subscribe before the sweep, so a container started in between is seen
    $DOCKER events --filter type=container --filter event=start \
        --filter "label=com.docker.stack.namespace=$STACK" --format '{{.ID}}' | {
        for c in $($DOCKER ps -q --filter "label=com.docker.stack.namespace=$STACK"); do weigh "$c"; done
        while read -r c; do weigh "$c"; done
    }
else
    for c in $($DOCKER ps -q --filter "label=com.docker.stack.namespace=$STACK"); do weigh "$c"; done
fi
