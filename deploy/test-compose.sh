#!/bin/bash
# test-compose.sh - issue 7: the compose deployment, tested on a real engine.
#
# As root on Debian 12, with no registry: installs docker.io, docker-compose
# and debootstrap if missing, starts dockerd if no engine answers (and stops
# it at the end), makes a bookworm base image with debootstrap (kept as the
# image jiju-base:bookworm for later runs), builds deploy/Dockerfile on it,
# brings docker-compose.yml up with three ingest replicas and checks, from
# outside the containers:
#   - every container becomes healthy; the replicas run as distinct instances
#     with separate stores in the one ingest volume;
#   - clusters registered and reports submitted through the published submit
#     ports are accepted, while `docker kill` takes assessment down mid-stream
#     (then started again) and one ingest replica crashes (SIGKILL from the
#     host, restarted by the restart policy on its own slot);
#   - assessment's events stream holds one ReportAccepted per accepted report
#     (nothing lost, nothing applied twice); the archive holds each once, as an
#     input and as an event (through its published query port);
#   - after the period is closed, subscriber fgw (everything) receives every
#     report once, RankingPublished and AwardGranted, and czj AwardGranted,
#     through the published deliveries port;
#   - re-created ingest containers adopt the stores of the ones they replace;
#   - a setting given in the environment (JIJU_CFG_<KEY>) reaches the service;
#   - the portal (profile portal) becomes healthy, logs its security mode,
#     and a person signed in with the login form reads the closed period's
#     ranking, the periods and the export through it (under CURVE with its
#     own key pair from keys-init, role admin);
#   - backup and restore as documented: the archive stopped, its volume
#     backed up through `docker-compose run -T archive backup`, the volume
#     destroyed, restored from the backup into a fresh one, `jiju archive
#     verify` ok on it, the archive started again and catching up with
#     reports accepted while it was away (last mode only);
# then tears everything down (containers, network, volumes). All of it twice:
# with CURVE on every socket (docker-compose.yml as it is: keys made by its
# keys-init service at the first up), where the scenario's clients use an
# admin key, subscriber keys and a service key, and plain (with
# deploy/compose.plain.yml, the localhost demo).
#
#   deploy/test-compose.sh               build from the working tree
#   JIJU_FROM_GIT=1 deploy/test-compose.sh   build from `git archive HEAD`
#   JIJU_BASE_IMAGE=debian:bookworm-slim deploy/test-compose.sh  (with a registry)
#   JIJU_REPORTS=3000 (reports in the kill test)  JIJU_KEEP=1 (leave it running)
#   JIJU_COMPOSE_MODES="plain curve" (the default; either alone also works)
# Every docker use is under `flock /tmp/jiju-docker.lock` (the whole script
# takes it), so two runs never share the engine's ports and project names.
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

DOCKER=/usr/bin/docker # Debian's client, matching Debian's engine
PROJECT=${JIJU_PROJECT:-jijuci}
IMAGE=${JIJU_TEST_IMAGE:-jiju:ci}
BASE=${JIJU_BASE_IMAGE:-jiju-base:bookworm}
WORK=$(mktemp -d /tmp/jiju-compose.XXXXXX)
. deploy/docker-engine.sh
# Host ports away from the defaults, so a stack run on the host does not clash.
export JIJU_IMAGE=$IMAGE JIJU_PUBLISH_ADDR=127.0.0.1
export JIJU_INGEST_PORTS=127.0.0.1:17001-17010 JIJU_ARCHIVE_PORT=17202 JIJU_DELIVERIES_PORT=17301
export JIJU_PORTAL_PORT=17080 JIJU_PORTAL_DIR=$WORK/portal
COMPOSE=(docker-compose -p "$PROJECT" -f "$ROOT/docker-compose.yml")
MODES=${JIJU_COMPOSE_MODES:-plain curve}

log() { printf '[test-compose %4ds] %s\n' $((SECONDS - T0)) "$*"; }
fail() {
    log "FAIL: $*"
    exit 1
}

teardown() {
    local rc=$?
    set +eu
    if [ "$rc" -ne 0 ] && [ -n "${STACK_UP:-}" ]; then
        log "logs of the stack (last 40 lines per container, per-request lines left out):"
        "${COMPOSE[@]}" ps
        for c in $("${COMPOSE[@]}" ps -q); do
            echo "---- $($DOCKER inspect -f '{{.Name}}' "$c")"
            $DOCKER logs "$c" 2>&1 | grep -v 'event=submit ' | tail -40
        done
    fi
    if [ -n "${STACK_UP:-}" ] && [ -z "${JIJU_KEEP:-}" ]; then
        log "tearing down"
        "${COMPOSE[@]}" down -v --remove-orphans >/dev/null 2>&1
    fi
    if [ -z "${JIJU_KEEP:-}" ]; then engine_stop; fi
    rm -rf "$WORK"
    [ "$rc" -eq 0 ] && log "PASS (total $((SECONDS - T0))s)" || log "FAILED (rc=$rc)"
    exit "$rc"
}
trap teardown EXIT
trap 'exit 130' INT TERM

# ---- 1. tools ----
need=""
for p in docker.io docker-compose debootstrap python3-zmq python3-protobuf protobuf-compiler; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need="$need $p"
done
if [ -n "$need" ]; then
    log "installing:$need"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >/dev/null
fi
for t in $DOCKER dockerd docker-compose debootstrap protoc /usr/bin/python3; do
    command -v "$t" >/dev/null || fail "$t is not installed"
done
"${COMPOSE[@]}" config -q || fail "docker-compose.yml does not validate"
"${COMPOSE[@]}" -f "$ROOT/deploy/compose.plain.yml" config -q ||
    fail "docker-compose.yml with deploy/compose.plain.yml does not validate"
! grep -q '^version:' "$ROOT/docker-compose.yml" || fail "docker-compose.yml has the obsolete version key"
log "docker-compose.yml (and with deploy/compose.plain.yml) validates"

# ---- 2. the engine ----
engine_start
log "engine: $($DOCKER version -f '{{.Server.Version}}')"

# ---- 3. a base image without a registry ----
if ! $DOCKER image inspect "$BASE" >/dev/null 2>&1; then
    [ "$BASE" = jiju-base:bookworm ] || $DOCKER pull "$BASE" || fail "no base image $BASE"
fi
if ! $DOCKER image inspect "$BASE" >/dev/null 2>&1; then
    mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    [ -n "$mirror" ] || fail "no URIs: line in /etc/apt/sources.list.d/debian.sources"
    log "debootstrap --variant=minbase bookworm (once; kept as $BASE)"
    debootstrap --variant=minbase bookworm "$WORK/rootfs" "$mirror" >"$WORK/debootstrap.log" 2>&1 ||
        { tail -20 "$WORK/debootstrap.log"; fail "debootstrap failed"; }
    rm -rf "$WORK"/rootfs/var/cache/apt/archives/*.deb "$WORK"/rootfs/var/lib/apt/lists/*
    tar -C "$WORK/rootfs" -c . | $DOCKER import - "$BASE" >/dev/null
    rm -rf "$WORK/rootfs"
fi
log "base image $BASE"

# ---- 4. the image ----
context=${JIJU_CONTEXT:-$ROOT} # another source tree to build, e.g. an export
if [ -n "${JIJU_FROM_GIT:-}" ]; then
    context=$WORK/src
    mkdir -p "$context"
    git archive HEAD | tar -x -C "$context"
    log "building from git HEAD $(git rev-parse --short HEAD)"
fi
t=$SECONDS
$DOCKER build -q -f "$context/deploy/Dockerfile" --build-arg BASE_IMAGE="$BASE" -t "$IMAGE" \
    "$context" >"$WORK/build.log" 2>&1 || { tail -40 "$WORK/build.log"; fail "image build"; }
log "built $IMAGE in $((SECONDS - t))s ($($DOCKER image inspect -f '{{.Size}}' "$IMAGE" |
    awk '{printf "%d MB", $1 / 1e6}'))"
[ "$($DOCKER run --rm --entrypoint id "$IMAGE" -u)" != 0 ] || fail "the image runs as root"

# The portal's session secret and one admin, as deploy/portal-init.sh makes
# them, with the image's jiju-portal (its password hash: yescrypt).
mkdir -p "$JIJU_PORTAL_DIR"
head -c 48 /dev/urandom | base64 >"$JIJU_PORTAL_DIR/portal-secret"
export PORTAL_USER=ci-admin PORTAL_PW=$(head -c 12 /dev/urandom | base64 | tr -d '/+=')
hash=$(echo "$PORTAL_PW" | $DOCKER run --rm -i --entrypoint jiju-portal "$IMAGE" hash-password) ||
    fail "jiju-portal hash-password in the image"
printf '{"users": [{"name": "%s", "role": "admin", "password_hash": "%s"}]}\n' "$PORTAL_USER" "$hash" \
    >"$JIJU_PORTAL_DIR/portal-users.json"
chmod 600 "$JIJU_PORTAL_DIR"/portal-*
[ "$(id -u)" -ne 0 ] || chown 10001:10001 "$JIJU_PORTAL_DIR"/portal-*

# ---- 5. up, with three ingest replicas ----
run_mode() {
local mode=$1 t stores k c ingest_eps
COMPOSE=(docker-compose -p "$PROJECT" -f "$ROOT/docker-compose.yml" --profile portal)
unset JIJU_KEYS_HOST
export JIJU_KEYS=$WORK/keys JIJU_KEYS_INIT_ARGS="--subscriber fgw --subscriber czj"
rm -rf "$JIJU_KEYS"
if [ "$mode" = curve ]; then
    export JIJU_KEYS_HOST=$WORK/keys # made by the keys-init service at `up`
else
    COMPOSE+=(-f "$ROOT/deploy/compose.plain.yml")
fi
"${COMPOSE[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
STACK_UP=1
t=$SECONDS
"${COMPOSE[@]}" up -d --scale ingest=3 >"$WORK/up.log" 2>&1 || { cat "$WORK/up.log"; fail "up"; }
cids() { # the containers of the four services (keys-init has exited), or of those named
    [ $# -gt 0 ] || set -- assessment archive notification ingest
    "${COMPOSE[@]}" ps -q "$@"
}
# logged CONTAINER REGEX: does its log have a matching line? (Not `docker logs
# | grep -q`: grep quits at the first match, and pipefail sees the SIGPIPE.)
logged() { $DOCKER logs "$1" 2>&1 | grep -c -- "$2" >/dev/null; }
healthy_all() {
    local c n=0
    for c in $(cids); do
        [ "$($DOCKER inspect -f '{{.State.Health.Status}}' "$c")" = healthy ] || return 1
        n=$((n + 1))
    done
    [ "$n" -eq 6 ]
}
for _ in $(seq 120); do healthy_all && break; sleep 1; done
healthy_all || fail "not every container became healthy"
log "6 containers healthy $((SECONDS - t))s after up"
if [ "$mode" = curve ]; then
    [ -s "$JIJU_KEYS/server/keys.json" ] && [ -s "$JIJU_KEYS/clients/admin.key" ] ||
        fail "the keys-init service made no keys in $JIJU_KEYS"
    log "[curve] keys-init made the keys at the first up: $($DOCKER logs "$("${COMPOSE[@]}" ps -q keys-init)" 2>&1 | tail -1)"
fi
portal_healthy() { [ "$($DOCKER inspect -f '{{.State.Health.Status}}' "$(cids portal)")" = healthy ]; }
for _ in $(seq 90); do portal_healthy && break; sleep 1; done
portal_healthy || fail "the portal did not become healthy"
logged "$(cids portal)" "event=security mode=$mode" || fail "the portal does not log event=security mode=$mode"
log "[$mode] the portal is healthy $((SECONDS - t))s after up and logs event=security mode=$mode"
for c in $(cids); do # each service says which security mode it runs
    logged "$c" "event=security mode=$mode" ||
        fail "$($DOCKER inspect -f '{{.Name}}' "$c") does not log event=security mode=$mode"
done
log "[$mode] every service logs event=security mode=$mode"

instances() { # the instance each running ingest container claimed, sorted
    local c
    for c in $(cids ingest); do
        $DOCKER logs "$c" 2>&1 | sed -n 's/.*event=slot_claimed instance=\([^ ]*\).*/\1/p' | tail -1
    done | sort
}
[ "$(instances | tr '\n' ' ')" = "ingest-1 ingest-2 ingest-3 " ] ||
    fail "ingest instances are not distinct: $(instances | tr '\n' ' ')"
stores=$($DOCKER run --rm --entrypoint ls -v "${PROJECT}_ingest-data:/v" "$IMAGE" /v | tr '\n' ' ')
[ "$stores" = "ingest-1 ingest-2 ingest-3 " ] || fail "ingest stores: $stores"
log "ingest replicas: instances and stores ingest-1 ingest-2 ingest-3"

# ---- 6. the scenario, from outside the containers ----
ingest_eps=""
for k in 1 2 3; do
    ingest_eps="$ingest_eps tcp://$("${COMPOSE[@]}" port --index=$k ingest 7001)"
done
export INGEST_EPS=$ingest_eps
export ARCHIVE_EP=tcp://127.0.0.1:$JIJU_ARCHIVE_PORT DELIVERIES_EP=tcp://127.0.0.1:$JIJU_DELIVERIES_PORT
export ASSESSMENT_CID=$(cids assessment) INGEST_CIDS="$(cids ingest | tr '\n' ' ')"
export DOCKER PROJECT JIJU_SRC_DIR=$ROOT
log "submit endpoints:$INGEST_EPS"
t=$SECONDS
/usr/bin/python3 - "$WORK" <<'PY' || fail "end-to-end scenario"
import os, subprocess, sys, threading, time
sys.path.insert(0, os.path.join(os.environ["JIJU_SRC_DIR"], "tests", "integration"))
import jiju_harness as h
import archive_check

h.generate_proto(sys.argv[1])
DOCKER = os.environ["DOCKER"]
N = int(os.environ.get("JIJU_REPORTS", "3000"))
T0 = time.monotonic()


def say(msg):
    print(f"  [{time.monotonic() - T0:6.1f}s] {msg}", flush=True)


def docker(*args):
    return subprocess.run([DOCKER, *args], check=True, capture_output=True, text=True).stdout.strip()


KEYS = os.environ.get("JIJU_KEYS_HOST")  # set in curve mode: deploy/keys-init.sh's directory


def curve(server, client):
    """The h.set_curve triple for talking to service `server` with the key
    pair file `client` (relative to KEYS), or None in plain mode."""
    if not KEYS:
        return None
    import json
    with open(os.path.join(KEYS, "server", f"{server}.pub")) as f:
        server_public = f.read().strip()
    with open(os.path.join(KEYS, client)) as f:
        pair = json.load(f)
    return (server_public, pair["public"], pair["secret"])


# admin for registrations, reports and commands; the archive's own service
# key to follow assessment's events like a service; subscriber keys fgw, czj
ADMIN_AT_INGEST = curve("ingest", "clients/admin.key")
SERVICE_AT_ASSESSMENT = curve("assessment", "server/archive.key")


def events_ep():
    """assessment's events stream is not published: reach it at the
    container's address on the compose network (the host routes to it)."""
    ip = docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}",
                os.environ["ASSESSMENT_CID"]).split()[0]
    return f"tcp://{ip}:7101"


COUNTIES = ["昌邑区", "龙潭区", "船营区", "丰满区", "永吉县", "蛟河市", "桦甸市"]
clusters = [f"JL-CI-{i:03d}" for i in range(14)]
sub = h.Submitter(os.environ["INGEST_EPS"].split(), window=300, timeout=3.0,
                  curve=ADMIN_AT_INGEST)

regs = sub.submit_all(h.register_request(c, f"集聚区{c}", category=1 + i % 9,
                                         county=COUNTIES[i % len(COUNTIES)])
                      for i, c in enumerate(clusters))
bad = {k: v for k, v in regs.items() if v.status not in (1, 2)}
assert not bad, f"registrations refused: {bad}"
tail = h.StreamTail(events_ep(), "events", "ci-registry", curve=SERVICE_AT_ASSESSMENT)
seen = set()


def registered():
    for _, env in tail.poll(100):
        if env.WhichOneof("body") == "cluster_registered":
            seen.add(env.cluster_registered.cluster.id)
    return len(seen) == len(clusters)


h.wait_until(registered, 60, what="ClusterRegistered for every cluster")
tail.close()
sub.wait_registry(clusters)  # every replica follows the same events to learn the registry
say(f"{len(clusters)} clusters registered through the published submit ports")
if KEYS:  # a client without a key on the allow-list gets nothing at all
    import zmq
    from jiju.v1 import archive_pb2
    stranger = (curve("archive", "clients/admin.key")[0],
                *(k.decode() for k in zmq.curve_keypair()))
    assert h.request(os.environ["ARCHIVE_EP"],
                     archive_pb2.ArchiveQueryRequest(request_id="stranger",
                                                     limit=1).SerializeToString(),
                     stranger, 3000) is None, \
        "the archive answered a key that is not on its allow-list"
    say("a key not on the allow-list gets no answer from the published archive port")

# The annual period the city will close, revenue ranked by cluster; then a
# stream of monthly reports while assessment and an ingest replica die.
reqs = [h.report_request(f"A2023-{c}", c, "2023", revenue_fen=(2 + i) * 10_000_000_000,
                         enterprises=30 + i, employment=1000 + 50 * i)
        for i, c in enumerate(clusters)]
months = [f"{2000 + m // 12}-{1 + m % 12:02d}" for m in range(N // len(clusters) + 1)]
reqs += [h.report_request(f"M{k:06d}", clusters[k % len(clusters)], months[k // len(clusters)],
                          revenue_fen=1_000_000_000 + 1_000 * k)
         for k in range(N)]
progress, result = {"n": 0}, {}


def paced(reqs, per_s):
    """Reports at about per_s a second, so they are still flowing while
    containers die (the submitter alone sends thousands a second)."""
    start = time.monotonic()
    for i, r in enumerate(reqs):
        while (ahead := i / per_s - (time.monotonic() - start)) > 0:
            sub._poll(max(1, int(ahead * 1000)))  # take replies while waiting
        yield r


def run():
    result["replies"] = sub.submit_all(paced(reqs, len(reqs) / 15.0),
                                       lambda n: progress.__setitem__("n", n))


th = threading.Thread(target=run)
th.start()
h.wait_until(lambda: progress["n"] >= len(reqs) * 3 // 10 or not th.is_alive(), 300,
             what="30% submitted")
docker("kill", os.environ["ASSESSMENT_CID"])
say(f"docker kill assessment at {progress['n']} replies")
time.sleep(2.0)
docker("start", os.environ["ASSESSMENT_CID"])
say("assessment started again")
h.wait_until(lambda: progress["n"] >= len(reqs) * 6 // 10 or not th.is_alive(), 300,
             what="60% submitted")
victim = os.environ["INGEST_CIDS"].split()[1]
restarts = int(docker("inspect", "-f", "{{.RestartCount}}", victim))
pid = int(docker("inspect", "-f", "{{.State.Pid}}", victim))
os.kill(pid, 9)  # a crash, as far as the engine knows: the restart policy applies
say(f"ingest container {victim[:12]} crashed (SIGKILL to host pid {pid}) at {progress['n']} replies")
th.join()
replies = result["replies"]
bad = {k: v for k, v in replies.items() if v.status not in (1, 2)}
assert not bad, f"refused: {list(bad.items())[:3]}"
accepted = {r.report.report_id for r in reqs}
assert accepted <= set(replies), "some reports got no answer"
say(f"{len(accepted)} reports accepted")
h.wait_until(lambda: int(docker("inspect", "-f", "{{.RestartCount}}", victim)) > restarts and
             docker("inspect", "-f", "{{.State.Running}}", victim) == "true", 60,
             what="the restart policy to restart the crashed ingest replica")
say("the crashed ingest replica was restarted by its restart policy")

# Every accepted report applied by assessment exactly once.
n = h.assert_applied_once(events_ep(), accepted, "ci-exactly-once", SERVICE_AT_ASSESSMENT)
say(f"assessment events: {n} ReportAccepted, each report exactly once")


class Ep:  # what archive_check needs of a stack
    ep = {"archive_query": os.environ["ARCHIVE_EP"]}
    archive_curve = curve("archive", "clients/admin.key")


archive_check.check(Ep, accepted)

# Close the period: rankings and awards reach the subscribers.
r = sub.submit_all([h.command_request("close_period", period="2023")])
assert all(v.status in (1, 2) for v in r.values()), r
say("period 2023 closed")
sub.close()
fgw = h.StreamTail(os.environ["DELIVERIES_EP"], "deliveries", "fgw", from_seq=1,
                   curve=curve("notification", "clients/fgw.key"))
czj = h.StreamTail(os.environ["DELIVERIES_EP"], "deliveries", "czj", from_seq=1,
                   curve=curve("notification", "clients/czj.key"))
got = {"fgw": {}, "czj": {}}
ids, fgw_reports = set(), {}


def delivered():
    for name, t in (("fgw", fgw), ("czj", czj)):
        for _, env in t.poll(100):
            if name == "fgw":
                if env.id in ids:
                    continue  # a redelivery after a lost ack carries the same id
                ids.add(env.id)
                if env.WhichOneof("body") == "report_accepted":
                    rid = env.report_accepted.report.report_id
                    fgw_reports[rid] = fgw_reports.get(rid, 0) + 1
            got[name][env.type] = got[name].get(env.type, 0) + 1
    return (got["fgw"].get("jiju.v1.RankingPublished") and got["fgw"].get("jiju.v1.AwardGranted")
            and got["czj"].get("jiju.v1.AwardGranted") and accepted <= set(fgw_reports))


h.wait_until(delivered, 240, what="RankingPublished and AwardGranted at fgw and czj")
fgw.close()
czj.close()
assert all(v == 1 for v in fgw_reports.values()), "fgw: a report delivered twice"
assert set(got["czj"]) == {"jiju.v1.AwardGranted"}, f"czj got {got['czj']}"
say(f"fgw received {len(fgw_reports)} reports once each, "
    f"{got['fgw']['jiju.v1.RankingPublished']} RankingPublished, "
    f"{got['fgw']['jiju.v1.AwardGranted']} AwardGranted; czj {got['czj']}")

if KEYS:  # a new reporter key: on the allow-list, then SIGHUP, then let in
    import json
    import zmq
    from jiju.v1 import submit_pb2
    pub, sec = (k.decode() for k in zmq.curve_keypair())
    new_org = (curve("ingest", "clients/admin.key")[0], pub, sec)
    probe = h.report_request("HUP-1", clusters[0], "2024-01")
    ep = os.environ["INGEST_EPS"].split()[0]

    def answer(wait_ms):
        return h.request(ep, probe.SerializeToString(), new_org, wait_ms)
    assert answer(2000) is None, "ingest answered a key not yet on its allow-list"
    path = os.path.join(KEYS, "server", "keys.json")
    with open(path) as f:
        doc = json.load(f)
    doc["keys"].append({"public": pub, "name": "ci-new-org", "role": "reporter",
                        "clusters": [clusters[0]]})
    with open(path, "w") as f:
        json.dump(doc, f)
    for cid in os.environ["INGEST_CIDS"].split():
        docker("kill", "-s", "HUP", cid)
    h.wait_until(lambda: answer(1000) is not None, 30,
                 what="ingest to let the new key in after SIGHUP")
    rep = submit_pb2.SubmitReply()
    rep.ParseFromString(answer(5000))
    assert rep.status in (1, 2), rep
    say("a reporter key added to keys.json is let in after `docker kill -s HUP` on ingest")
PY
log "end-to-end scenario passed in $((SECONDS - t))s"

# ---- 6b. the portal: a person signs in and reads through it ----
/usr/bin/python3 - <<'PY' || fail "the portal"
import csv, http.client, io, json, os, urllib.parse
PORT = int(os.environ["JIJU_PORTAL_PORT"])


def req(method, path, body=None, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, r.getheaders(), r.read()
    finally:
        c.close()


def cookies(headers, name):
    return [v.split(";")[0] for k, v in headers if k.lower() == "set-cookie" and v.startswith(name + "=")]


status, hdrs, body = req("GET", "/login")
assert status == 200, status
nonce = cookies(hdrs, "jiju_login")[0]
csrf = body.decode().split('name="csrf_token" value="')[1].split('"')[0]
form = urllib.parse.urlencode({"user": os.environ["PORTAL_USER"], "password": os.environ["PORTAL_PW"],
                               "csrf_token": csrf})
status, hdrs, _ = req("POST", "/login", form.encode(),
                      {"Content-Type": "application/x-www-form-urlencoded", "Cookie": nonce})
assert status == 303 and cookies(hdrs, "jiju_session"), f"login: {status}"
me = {"Cookie": cookies(hdrs, "jiju_session")[0]}
status, _, body = req("GET", "/api/v1/session", headers=me)
assert status == 200 and json.loads(body)["role"] == "admin", (status, body[:200])
# assessment through the portal: the ranking of the closed period
status, _, body = req("GET", "/api/v1/rankings/2023", headers=me)
assert status == 200, (status, body[:300])
rk = json.loads(body)
clusters = {f"JL-CI-{i:03d}" for i in range(14)}
assert rk["final"] and {e["cluster_id"] for e in rk["entries"]} == clusters, rk
# the archive through the portal: the periods, the export of 2023
status, _, body = req("GET", "/api/v1/periods", headers=me)
assert status == 200 and any(p["period"] == "2023" and p["status"] == "closed"
                             for p in json.loads(body)["periods"]), (status, body[:300])
status, _, body = req("GET", "/api/v1/export?period=2023", headers=me)
rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
assert status == 200 and {r[0] for r in rows[1:]} == clusters, (status, rows[:2])
print(f"  signed in as {os.environ['PORTAL_USER']}; ranking 2023 final with {len(rk['entries'])} "
      f"entries (first {rk['entries'][0]['cluster_id']}), 2023 closed, export of {len(rows) - 1} rows")
PY
log "[$mode] the portal: signed in with the form, read the final ranking, the periods and the export"

# ---- 7. re-created replicas adopt the stores they replace ----
t=$SECONDS
"${COMPOSE[@]}" up -d --no-deps --force-recreate --scale ingest=3 ingest >"$WORK/recreate.log" 2>&1 ||
    { cat "$WORK/recreate.log"; fail "re-create ingest"; }
[ "$(instances | tr '\n' ' ')" = "ingest-1 ingest-2 ingest-3 " ] ||
    fail "after re-create: $(instances | tr '\n' ' ')"
for c in $(cids ingest); do
    for _ in $(seq 30); do logged "$c" "event=started" && break; sleep 1; done
    logged "$c" "event=started .*last_seq=[1-9]" ||
        fail "re-created container $c started on an empty store"
done
stores=$($DOCKER run --rm --entrypoint ls -v "${PROJECT}_ingest-data:/v" "$IMAGE" /v | tr '\n' ' ')
[ "$stores" = "ingest-1 ingest-2 ingest-3 " ] || fail "ingest stores after re-create: $stores"
log "re-created ingest containers took over ingest-1..3 and their logs in $((SECONDS - t))s"

# ---- 8. a setting from the environment reaches the service ----
out=$("${COMPOSE[@]}" run --rm --no-deps -T -e JIJU_CFG_NO__SUCH_KEY=1 assessment \
    jiju-assessment --config=/etc/jiju/assessment.json 2>&1) && fail "an unknown key from the environment was accepted"
grep -q 'event=config_refused .*key=no.such_key' <<<"$out" ||
    fail "JIJU_CFG_NO__SUCH_KEY did not reach the service: $(tail -3 <<<"$out")"
log "JIJU_CFG_NO__SUCH_KEY=1 reaches assessment as no.such_key and is refused by name"

# ---- 9. back up and restore the archive as docs/operations.md says ----
[ "$mode" = "${MODES##* }" ] && backup_restore
"${COMPOSE[@]}" down -v --remove-orphans >/dev/null 2>&1
STACK_UP=""
log "[$mode] done, torn down"
}

# The archive's volume backed up through the container's stdout, destroyed,
# restored into a fresh volume, verified, and the archive catching up.
backup_restore() {
    local t=$SECONDS vol=${PROJECT}_archive-data before after
    INGEST_EPS="" # re-created containers may have taken other host ports of the range
    for k in 1 2 3; do INGEST_EPS="$INGEST_EPS tcp://$("${COMPOSE[@]}" port --index=$k ingest 7001)"; done
    export INGEST_EPS
    "${COMPOSE[@]}" stop archive >/dev/null 2>&1
    "${COMPOSE[@]}" run --rm --no-deps -T archive backup >"$WORK/archive.tgz" 2>"$WORK/backup.log" ||
        { cat "$WORK/backup.log"; fail "backup"; }
    [ "$(tar -tzf "$WORK/archive.tgz" | grep -c '^./archive/CURRENT$')" = 1 ] ||
        fail "the backup holds no archive store"
    before=$("${COMPOSE[@]}" run --rm --no-deps -T archive jiju archive verify \
        --store /var/lib/jiju/archive 2>&1 | grep '^verify ')
    "${COMPOSE[@]}" rm -f -s archive >/dev/null 2>&1
    $DOCKER volume rm "$vol" >/dev/null || fail "docker volume rm $vol"
    log "backup $(du -k "$WORK/archive.tgz" | cut -f1) kB; archive container and volume $vol destroyed"
    # submitted while the archive is gone: it must catch up after the restore
    /usr/bin/python3 - "$WORK" <<'PY' || fail "reports while the archive is away"
import os, sys
sys.path.insert(0, os.path.join(os.environ["JIJU_SRC_DIR"], "tests", "integration"))
import jiju_harness as h
import json
h.generate_proto(sys.argv[1])
KEYS = os.environ.get("JIJU_KEYS_HOST")
curve = None
if KEYS:
    pair = json.load(open(os.path.join(KEYS, "clients", "admin.key")))
    curve = (open(os.path.join(KEYS, "server", "ingest.pub")).read().strip(), pair["public"], pair["secret"])
sub = h.Submitter(os.environ["INGEST_EPS"].split(), curve=curve)
reqs = [h.report_request(f"AWAY-{k}", f"JL-CI-{k % 14:03d}", f"2025-0{1 + k // 14}") for k in range(20)]
r = sub.submit_all(reqs)
assert all(v.status == 1 for v in r.values()), r
PY
    "${COMPOSE[@]}" run --rm --no-deps -T archive restore <"$WORK/archive.tgz" >"$WORK/restore.log" 2>&1 ||
        { cat "$WORK/restore.log"; fail "restore"; }
    after=$("${COMPOSE[@]}" run --rm --no-deps -T archive jiju archive verify \
        --store /var/lib/jiju/archive 2>&1 | grep '^verify ')
    grep -q 'status=ok' <<<"$after" || fail "verify after restore: $after"
    [ "$before" = "$after" ] || fail "the restored archive differs: before '$before', after '$after'"
    log "restored into a fresh volume: $after"
    "${COMPOSE[@]}" up -d --no-deps archive >/dev/null 2>&1 || fail "archive up after restore"
    /usr/bin/python3 - "$WORK" <<'PY' || fail "the restored archive did not catch up"
import os, sys
sys.path.insert(0, os.path.join(os.environ["JIJU_SRC_DIR"], "tests", "integration"))
import jiju_harness as h
import json
h.generate_proto(sys.argv[1])
from jiju.v1 import archive_pb2
KEYS = os.environ.get("JIJU_KEYS_HOST")
curve = None
if KEYS:
    pair = json.load(open(os.path.join(KEYS, "clients", "admin.key")))
    curve = (open(os.path.join(KEYS, "server", "archive.pub")).read().strip(), pair["public"], pair["secret"])
want = {f"AWAY-{k}" for k in range(20)}
got = set()
def caught_up():
    data = h.request(os.environ["ARCHIVE_EP"], archive_pb2.ArchiveQueryRequest(
        request_id="away", stream="reports", limit=1000, order=archive_pb2.NEWEST_FIRST).SerializeToString(), curve, 2000)
    if data is None:
        return False
    rep = archive_pb2.ArchiveQueryReply()
    rep.ParseFromString(data)
    from jiju.v1 import envelope_pb2
    for rec in rep.records:
        env = envelope_pb2.Envelope()
        env.ParseFromString(rec.envelope)
        if env.WhichOneof("body") == "report_accepted":
            got.add(env.report_accepted.report.report_id)
    return want <= got
h.wait_until(caught_up, 120, step=0.5, what="the restored archive to take the reports sent while it was away")
PY
    log "the restored archive is back and holds the 20 reports accepted while it was away ($((SECONDS - t))s)"
}

for mode in $MODES; do
    case $mode in plain | curve) ;; *) fail "JIJU_COMPOSE_MODES: unknown mode '$mode' (plain, curve)" ;; esac
    log "==== mode $mode ===="
    run_mode "$mode"
done
