#!/bin/bash
# test-swarm.sh - issue 13 item 5: Jiju on a real single-node Docker Swarm.
#
# On this machine's engine (started if none answers, and then stopped at the
# end), as root: `docker swarm init` (left again at the end if this script
# made it), keys from deploy/keys-init.sh, `docker stack deploy` of
# deploy/stack.yml (configs, secrets, an overlay network, three ingest
# tasks, assessment, archive and notification with their volumes), and
# checks, from outside the swarm:
#   - every task runs and turns healthy; the ingest tasks claim distinct
#     instances "<node>-ingest-k";
#   - clusters registered and reports submitted to the three tasks (each
#     on its own host port) are accepted while one ingest task's container
#     is killed: Swarm reschedules a new task, which adopts the killed
#     one's store, and the client fails over meanwhile;
#   - assessment's events stream holds exactly one ReportAccepted per
#     accepted report (the exactly-once check of test-compose.sh);
#   - CPU weights (docs/operations.md "CPU weights"): the services reserve
#     CPU 2:1 (ingest:others, docker service inspect), and with
#     deploy/swarm-weights.sh --watch running, every container of the
#     stack, the rescheduled ingest task's too, has compose's cpu.shares
#     (1024 ingest, 512 the others: docker inspect, and the cgroup's own
#     cpu.weight / cpu.shares file read inside the container).
# Needs the image built by deploy/test-compose.sh (JIJU_TEST_IMAGE, jiju:ci),
# which .ci/run runs first. Every docker use is under
# `flock /tmp/jiju-docker.lock`.
#
#   deploy/test-swarm.sh        JIJU_KEEP=1 leaves the stack up   JIJU_REPORTS=N
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
if [ -z "${JIJU_DOCKER_LOCKED:-}" ]; then
    export JIJU_DOCKER_LOCKED=1
    # -o: the lock is flock's alone, so a dockerd started below (which
    # outlives nothing of ours, but inherits descriptors) never holds it
    exec flock -o /tmp/jiju-docker.lock "$0" "$@"
fi
T0=$SECONDS
DOCKER=/usr/bin/docker
STACK=${JIJU_STACK:-jijuswarm}
IMAGE=${JIJU_TEST_IMAGE:-jiju:ci}
WORK=$(mktemp -d /tmp/jiju-swarm.XXXXXX)
. deploy/docker-engine.sh
SWARM_MADE="" STACK_UP="" WEIGHTS_PID=""

log() { printf '[test-swarm %4ds] %s\n' $((SECONDS - T0)) "$*"; }
fail() {
    log "FAIL: $*"
    exit 1
}

teardown() {
    local rc=$?
    set +eu
    if [ "$rc" -ne 0 ] && [ -n "$STACK_UP" ]; then
        $DOCKER stack ps --no-trunc "$STACK" 2>&1 | head -30
        for s in assessment archive notification ingest; do
            echo "---- ${STACK}_$s"
            $DOCKER service logs --tail 30 "${STACK}_$s" 2>&1 | grep -v 'event=submit '
        done
    fi
    [ -n "$WEIGHTS_PID" ] && kill -- -"$WEIGHTS_PID" 2>/dev/null
    if [ -z "${JIJU_KEEP:-}" ]; then
        if [ -n "$STACK_UP" ]; then
            log "removing the stack, its network and volumes"
            $DOCKER stack rm "$STACK" >/dev/null 2>&1
            for _ in $(seq 60); do
                [ -z "$($DOCKER ps -aq --filter "label=com.docker.stack.namespace=$STACK")" ] &&
                    [ -z "$($DOCKER network ls -q --filter "label=com.docker.stack.namespace=$STACK")" ] && break
                sleep 1
            done
            $DOCKER volume ls -q --filter "label=com.docker.stack.namespace=$STACK" | xargs -r $DOCKER volume rm >/dev/null
        fi
        [ -n "$SWARM_MADE" ] && { log "leaving the swarm this script made"; $DOCKER swarm leave --force >/dev/null 2>&1; }
        engine_stop
    fi
    rm -rf "$WORK"
    [ "$rc" -eq 0 ] && log "PASS (total $((SECONDS - T0))s)" || log "FAILED (rc=$rc)"
    exit "$rc"
}
trap teardown EXIT
trap 'exit 130' INT TERM

# ---- 1. engine, swarm, image ----
command -v dockerd >/dev/null && [ -x $DOCKER ] || fail "docker.io is not installed (deploy/test-compose.sh installs it)"
engine_start
$DOCKER image inspect "$IMAGE" >/dev/null 2>&1 || fail "no image $IMAGE: run deploy/test-compose.sh first (it builds it)"
if [ "$($DOCKER info -f '{{.Swarm.LocalNodeState}}')" != active ]; then
    # The manager's address: loopback is refused by swarm init, so the
    # address of the default route's interface, which only this node uses.
    addr=$(ip -4 route get 1.1.1.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p')
    $DOCKER swarm init --advertise-addr "${addr:-127.0.0.1}" --listen-addr "${addr:-127.0.0.1}:2377" \
        >"$WORK/swarm.log" 2>&1 || { cat "$WORK/swarm.log"; fail "docker swarm init"; }
    SWARM_MADE=1
fi
node=$($DOCKER node ls --format '{{.Hostname}}' --filter role=manager | head -1)
$DOCKER node update --label-add jiju.store=1 "$($DOCKER info -f '{{.Swarm.NodeID}}')" >/dev/null
log "swarm: engine $($DOCKER version -f '{{.Server.Version}}'), node $node labelled jiju.store=1"

# ---- 2. keys, deploy ----
export JIJU_KEYS=$WORK/keys JIJU_IMAGE=$IMAGE JIJU_CONFIG_DIR=$ROOT/deploy/config
export JIJU_ARCHIVE_PORT=17402 JIJU_DELIVERIES_PORT=17403
"$ROOT/deploy/keys-init.sh" --dir "$JIJU_KEYS" --image "$IMAGE" >"$WORK/keys.log" 2>&1 ||
    { cat "$WORK/keys.log"; fail "keys-init"; }
# For the test only: assessment's events stream published too, so the
# exactly-once check can follow it from outside the overlay network.
cat >"$WORK/stack.test.yml" <<EOF
version: "3.8"
services:
  assessment:
    ports: [{target: 7101, published: 17404, protocol: tcp, mode: host}]
EOF
t=$SECONDS
STACK_UP=1
$DOCKER stack deploy --resolve-image never -c "$ROOT/deploy/stack.yml" -c "$WORK/stack.test.yml" "$STACK" \
    >"$WORK/deploy.log" 2>&1 || { cat "$WORK/deploy.log"; fail "docker stack deploy"; }
[ "$($DOCKER network inspect -f '{{.Driver}}' "${STACK}_jiju")" = overlay ] || fail "no overlay network"
tasks_healthy() { # every running container of the stack healthy, 6 of them
    local c n=0
    for c in $($DOCKER ps -q --filter "label=com.docker.stack.namespace=$STACK"); do
        [ "$($DOCKER inspect -f '{{.State.Health.Status}}' "$c")" = healthy ] || return 1
        n=$((n + 1))
    done
    [ "$n" -eq 6 ]
}
for _ in $(seq 150); do tasks_healthy && break; sleep 1; done
tasks_healthy || fail "the tasks did not all become healthy"
log "stack deployed on overlay network ${STACK}_jiju: 6 tasks healthy $((SECONDS - t))s after deploy"
instances() { # the instance each running ingest task claimed (not `docker service
    # logs`, which waits forever for a killed task's container)
    local c
    for c in $($DOCKER ps -q --filter "label=com.docker.swarm.service.name=${STACK}_ingest"); do
        $DOCKER logs "$c" 2>&1 | sed -n 's/.*event=slot_claimed instance=\([^ ]*\).*/\1/p' | tail -1
    done | sort
}
[ "$(instances | tr '\n' ' ')" = "$node-ingest-1 $node-ingest-2 $node-ingest-3 " ] ||
    fail "ingest instances: $(instances | tr '\n' ' ')"
log "ingest tasks run as $(instances | tr '\n' ' ')"

# ---- CPU weights: reservations in the spec, shares on the containers ----
reserved() { $DOCKER service inspect -f '{{.Spec.TaskTemplate.Resources.Reservations.NanoCPUs}}' "${STACK}_$1"; }
for s in assessment archive notification; do
    [ "$(reserved ingest)" -eq $((2 * $(reserved $s))) ] && [ "$(reserved $s)" -gt 0 ] ||
        fail "CPU reservations: ingest $(reserved ingest), $s $(reserved $s) (2:1 expected)"
done
weights_shown() {
    local c
    for c in $($DOCKER ps -q --filter "label=com.docker.stack.namespace=$STACK"); do
        $DOCKER inspect -f '{{index .Config.Labels "com.docker.swarm.service.name"}} {{.HostConfig.CpuShares}}' "$c"
        $DOCKER exec "$c" sh -c 'cat /sys/fs/cgroup/cpu.weight 2>/dev/null || cat /sys/fs/cgroup/cpu/cpu.shares'
    done | paste -sd' '
}
# what Swarm itself gives the containers: no weight (CpuShares 0, the default)
log "CPU weights as Swarm starts the containers: $(weights_shown)"
# the process group of the watcher, to stop it (and its docker events) at the end
setsid "$ROOT/deploy/swarm-weights.sh" --watch "$STACK" >"$WORK/weights.log" 2>&1 &
WEIGHTS_PID=$!
weights_ok() { # every running container of the stack weighted as its service, 6 of them
    local c svc want got cg n=0
    for c in $($DOCKER ps -q --filter "label=com.docker.stack.namespace=$STACK"); do
        svc=$($DOCKER inspect -f '{{index .Config.Labels "com.docker.swarm.service.name"}}' "$c")
        want=512
        [ "$svc" = "${STACK}_ingest" ] && want=1024
        got=$($DOCKER inspect -f '{{.HostConfig.CpuShares}}' "$c")
        [ "$got" = "$want" ] || return 1
        # what the kernel holds: cgroup v2 cpu.weight (1 + (shares - 2) * 9999 / 262142:
        # 39 for 1024, 20 for 512), or v1 cpu.shares
        cg=$($DOCKER exec "$c" sh -c 'cat /sys/fs/cgroup/cpu.weight 2>/dev/null ||
            cat /sys/fs/cgroup/cpu/cpu.shares' 2>/dev/null) || return 1
        [ "$cg" = "$want" ] || [ "$cg" = $((1 + (want - 2) * 9999 / 262142)) ] || return 1
        n=$((n + 1))
    done
    [ "$n" -eq 6 ]
}
for _ in $(seq 30); do weights_ok && break; sleep 1; done
weights_ok || { cat "$WORK/weights.log"; fail "CPU weights not on the containers: $(weights_shown)"; }
log "CPU: reservations ingest $(reserved ingest) ns/s, others $(reserved assessment); cpu.shares on the 6 containers: $(weights_shown)"

# ---- 3. the scenario: reports to the three tasks, one killed ----
export DOCKER STACK JIJU_SRC_DIR=$ROOT JIJU_KEYS_HOST=$JIJU_KEYS
t=$SECONDS
timeout 600 /usr/bin/python3 - "$WORK" <<'PY' || fail "scenario"
import json, os, subprocess, sys, threading, time
sys.path.insert(0, os.path.join(os.environ["JIJU_SRC_DIR"], "tests", "integration"))
import jiju_harness as h

h.generate_proto(sys.argv[1])
DOCKER, STACK, KEYS = os.environ["DOCKER"], os.environ["STACK"], os.environ["JIJU_KEYS_HOST"]
N = int(os.environ.get("JIJU_REPORTS", "1200"))
T0 = time.monotonic()


def say(msg):
    print(f"  [{time.monotonic() - T0:6.1f}s] {msg}", flush=True)


def docker(*args):
    return subprocess.run([DOCKER, *args], check=True, capture_output=True, text=True).stdout.strip()


def curve(server, client):
    with open(os.path.join(KEYS, "server", f"{server}.pub")) as f:
        pub = f.read().strip()
    with open(os.path.join(KEYS, client)) as f:
        pair = json.load(f)
    return (pub, pair["public"], pair["secret"])


def task_endpoints():
    """Each running ingest task's submit endpoint: its host port (host mode)."""
    out = []
    for c in docker("ps", "-q", "--filter", f"label=com.docker.swarm.service.name={STACK}_ingest").split():
        port = docker("port", c, "7001/tcp").splitlines()[0].rsplit(":", 1)[1]
        out.append(f"tcp://127.0.0.1:{port}")
    return sorted(out)


EPS = task_endpoints()
assert len(EPS) == 3, EPS
say(f"ingest tasks' submit endpoints: {' '.join(EPS)}")
sub = h.Submitter(EPS, window=300, timeout=3.0, curve=curve("ingest", "clients/admin.key"))
clusters = [f"JL-SW-{i:03d}" for i in range(12)]
regs = sub.submit_all(h.register_request(c, f"集聚区{c}", category=1 + i % 9)
                      for i, c in enumerate(clusters))
assert all(v.status in (1, 2) for v in regs.values()), regs
sub.wait_registry(clusters)
say(f"{len(clusters)} clusters registered, every task knows them")
reqs = [h.report_request(f"S{k:06d}", clusters[k % len(clusters)],
                         f"{2000 + k // len(clusters) // 12}-{1 + k // len(clusters) % 12:02d}",
                         revenue_fen=10**9 + k) for k in range(N)]
progress, result = {"n": 0}, {}


def paced(per_s):
    start = time.monotonic()
    for i, r in enumerate(reqs):
        while (ahead := i / per_s - (time.monotonic() - start)) > 0:
            sub._poll(max(1, int(ahead * 1000)))
        yield r


def run():
    result["replies"] = sub.submit_all(paced(N / 12.0), lambda n: progress.__setitem__("n", n))


th = threading.Thread(target=run)
th.start()
h.wait_until(lambda: progress["n"] >= N * 4 // 10 or not th.is_alive(), 120, what="40% submitted")
tasks = docker("ps", "-q", "--filter", f"label=com.docker.swarm.service.name={STACK}_ingest").split()
victim = tasks[1]
vtask = docker("inspect", "-f", '{{index .Config.Labels "com.docker.swarm.task.id"}}', victim)
docker("kill", victim)
say(f"ingest task {vtask[:12]} killed (container {victim[:12]}) at {progress['n']} replies")
th.join()
replies = result["replies"]
bad = {k: v for k, v in replies.items() if v.status not in (1, 2)}
assert not bad, f"refused: {list(bad.items())[:3]}"
accepted = {r.report.report_id for r in reqs}
assert accepted <= set(replies), "some reports got no answer"
say(f"{len(accepted)} reports accepted")


def rescheduled():
    running = docker("service", "ps", "--filter", "desired-state=running", "--format",
                     "{{.ID}} {{.CurrentState}}", f"{STACK}_ingest").splitlines()
    return len(running) == 3 and all("Running" in line for line in running) and \
        vtask[:12] not in " ".join(running)
h.wait_until(rescheduled, 90, what="Swarm to reschedule the killed ingest task")
say("Swarm rescheduled the killed ingest task: 3 running again, the killed one shut down")

n = h.assert_applied_once("tcp://127.0.0.1:17404", accepted, "swarm-exactly-once",
                          curve("assessment", "server/archive.key"), timeout=180)
sub.close()
say(f"assessment events: {n} ReportAccepted, each report exactly once")
PY
log "scenario passed in $((SECONDS - t))s"
[ "$(instances | tr '\n' ' ')" = "$node-ingest-1 $node-ingest-2 $node-ingest-3 " ] ||
    fail "after the reschedule, instances claimed: $(instances | tr '\n' ' ')"
log "the rescheduled task took over the freed slot: instances $(instances | tr '\n' ' ')"
for _ in $(seq 30); do weights_ok && break; sleep 1; done
weights_ok || { cat "$WORK/weights.log"; fail "after the reschedule, CPU weights: $(weights_shown)"; }
log "the rescheduled ingest task weighted too: $(weights_shown)"
