#!/bin/sh
# The whole stack on this machine with a demo on the policy's own clusters:
# installs what is missing, builds, starts the four services (two ingest
# replicas), registers the clusters the seed names, reports 2022 and 2023,
# closes both periods, recognises a provincial cluster, and shows rankings,
# city targets, the events departments received, and the archive's chain.
#   ./deploy/demo.sh          run the demo, then stop the stack
#   ./deploy/demo.sh --keep   leave the stack running (stop: kill $(cat run/demo/pids)) and
#                             open the printed one-time link: the portal, signed in as the admin
set -eu
cd "$(dirname "$0")/.."
KEEP=0; [ "${1:-}" = "--keep" ] && KEEP=1
./deploy/install-deps.sh
./deploy/build.sh
B=build; RUN=run/demo; DATA=tests/integration/data
rm -rf "$RUN"; mkdir -p "$RUN"
JIJU="$B/cli/jiju"
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

start() { # name binary args...
    name=$1; shift
    "$@" >"$RUN/$name.log" 2>&1 &
    echo $! >>"$RUN/pids"
}
stop_all() { [ -f "$RUN/pids" ] && kill $(cat "$RUN/pids") 2>/dev/null; rm -f "$RUN/pids"; }
[ $KEEP = 1 ] || trap stop_all EXIT INT TERM

say "starting assessment, archive, notification and two ingest replicas (logs in $RUN/)"
start assessment $B/services/assessment/jiju-assessment --config deploy/config/assessment.json \
    --set data_dir=$RUN/assessment
start archive $B/services/archive/jiju-archive --config deploy/config/archive.json \
    --set data_dir=$RUN/archive
start notification $B/services/notification/jiju-notification \
    --config deploy/config/notification.json --set data_dir=$RUN/notification \
    --set subscriptions_file=deploy/config/subscriptions.json
for i in 1 2; do
    start ingest-$i $B/services/ingest/jiju-ingest --config deploy/config/ingest.json \
        --set instance=ingest-$i --set data_dir=$RUN/ingest-$i \
        --set submit.endpoint=tcp://127.0.0.1:700$i
done
export JIJU_INGEST=tcp://127.0.0.1:7001,tcp://127.0.0.1:7002
for i in $(seq 50); do $JIJU ping tcp://127.0.0.1:7102 >/dev/null 2>&1 && break; sleep 0.1; done

say "registering the clusters named in the policy (seed 三)"
$JIJU submit $DATA/demo_clusters.json | tail -n 3
for i in $(seq 100); do
    [ "$($JIJU cluster list 2>/dev/null | grep -c JL-)" -ge 14 ] && break; sleep 0.1
done
sleep 1 # the ingest replicas learn the registry from assessment's events
$JIJU cluster list

say "a report with mistakes is refused with every problem at once"
cat >"$RUN/bad.json" <<'JSON'
{"report_id": "bad-1", "cluster_id": "JL-NOPE", "period": "2023Q5", "revision": 1,
 "enterprises": -3, "revenue_wan": "100", "tax_wan": "250", "employment": 10,
 "investment_wan": "1", "output_value_wan": "1"}
JSON
$JIJU submit "$RUN/bad.json" || true

for year in 2022 2023; do
    say "reporting $year through two ingest replicas, then closing $year"
    $JIJU period open $year >/dev/null
    $JIJU submit $DATA/demo_reports_$year.json | tail -n 2
    sleep 2 # let assessment apply the reports before the close
    [ $year = 2023 ] && $JIJU cluster recognise JL-WL-002 --document "吉省发改服务〔2023〕12号"
    $JIJU period close $year >/dev/null
done
sleep 2

say "ranking 2023 (final)"
$JIJU ranking show 2023
say "city targets 2023 (seed 一.二)"
$JIJU targets 2023
say "what the finance bureau (czj) received: awards (seed 五.二)"
$JIJU tail --subscriber czj --timeout-ms 1500
say "what the statistics bureau (tjj) received, last lines"
$JIJU tail --subscriber tjj --timeout-ms 1500 | tail -n 3
say "archive: the 2023 export for the statistics bureau, and the hash chain"
$JIJU archive export --period 2023 --format csv | head -n 4

say "the monitoring platform (jiju-portal): users with hashed passwords and tokens, a one-time sign-in link"
PORTAL=$B/services/portal/jiju-portal
PORT=${JIJU_PORTAL_PORT:-8080}
head -c 48 /dev/urandom | base64 >"$RUN/portal-secret"
chmod 600 "$RUN/portal-secret"
ADMIN_PW=$(head -c 12 /dev/urandom | base64 | tr -d '/+=')
REPORTER_PW=$(head -c 12 /dev/urandom | base64 | tr -d '/+=')
: >"$RUN/portal-tokens.txt"
token() { # name: prints the sha256 for the users file, keeps the token
    t=$($PORTAL new-token); echo "$1 $(echo "$t" | sed -n 's/^token=//p')" >>"$RUN/portal-tokens.txt"
    echo "$t" | sed -n 's/^sha256=//p'
}
cat >"$RUN/portal-users.json" <<JSON
{"users": [
 {"name": "demo-admin", "role": "admin", "password_hash": "$(echo "$ADMIN_PW" | $PORTAL hash-password)",
  "token_sha256": ["$(token demo-admin)"]},
 {"name": "jl-wl-001-org", "role": "reporter", "clusters": ["JL-WL-001"],
  "password_hash": "$(echo "$REPORTER_PW" | $PORTAL hash-password)", "token_sha256": ["$(token jl-wl-001-org)"]},
 {"name": "fgw", "role": "subscriber", "subscriber": "fgw", "token_sha256": ["$(token fgw)"]},
 {"name": "czj", "role": "subscriber", "subscriber": "czj", "token_sha256": ["$(token czj)"]}
]}
JSON
chmod 600 "$RUN/portal-users.json" "$RUN/portal-tokens.txt"
PORTAL_ARGS="--config deploy/config/portal.json --set http.port=$PORT
  --set auth.users_file=$RUN/portal-users.json --set auth.session_secret_file=$RUN/portal-secret"
start portal $PORTAL $PORTAL_ARGS
for i in $(seq 100); do curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS "http://127.0.0.1:$PORT/healthz"; echo
LINK="http://127.0.0.1:$PORT$($PORTAL signin-link demo-admin $PORTAL_ARGS)"
echo "portal:   http://127.0.0.1:$PORT/   (users: demo-admin / $ADMIN_PW, jl-wl-001-org / $REPORTER_PW;"
echo "          API tokens in $RUN/portal-tokens.txt)"
echo "open this once, within 10 minutes, to be signed in as demo-admin:"
echo "$LINK"
if [ $KEEP = 1 ]; then
    say "--keep: the stack keeps running; stop it with: kill \$(cat $RUN/pids)"
    exit 0
fi
stop_all
sleep 0.5
$JIJU archive verify --store $RUN/archive
say "demo done; logs and stores are in $RUN/"
