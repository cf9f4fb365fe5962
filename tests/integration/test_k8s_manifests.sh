#!/bin/bash
# test_k8s_manifests - deploy/k8s checked offline (issue 13 item 5): the
# manifests, the ConfigMap of deploy/config made by `kubectl create
# --dry-run=client`, and the per-service Secrets that deploy/k8s/secrets.sh
# makes from real keys (deploy/keys-init.sh with this build's jiju keygen),
# all validated by deploy/k8s/validate.py against the Kubernetes client's
# schemas (field names at every depth, types, required fields) and
# cross-checked (services, selectors, volumes, ConfigMap and Secret names,
# CPU requests in compose's 2:1 ratio).
# No API server: what needs one (admission, scheduling) is not checked here.
set -euo pipefail
BIN=${1:-${JIJU_BIN_DIR:-build}}
SRC=${JIJU_SRC_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
WORK=$(mktemp -d /tmp/jiju-k8s.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
for t in kubectl /usr/bin/python3; do
    command -v "$t" >/dev/null || { echo "FAIL: $t missing (deploy/install-deps.sh installs it)"; exit 1; }
done
/usr/bin/python3 -c 'import kubernetes, yaml' || { echo "FAIL: python3-kubernetes missing"; exit 1; }
PATH=$BIN/cli:$PATH "$SRC/deploy/keys-init.sh" --dir "$WORK/keys" --subscriber fgw >/dev/null
{
    for f in namespace assessment archive notification ingest public networkpolicy; do
        echo "---"
        cat "$SRC/deploy/k8s/$f.yaml"
    done
    echo "---"
    kubectl create configmap jiju-config --namespace jiju --dry-run=client -o yaml \
        $(for f in assessment archive notification subscriptions ingest; do
            echo "--from-file=$SRC/deploy/config/$f.json"; done)
    "$SRC/deploy/k8s/secrets.sh" "$WORK/keys/server"
} >"$WORK/all.yaml"
/usr/bin/python3 "$SRC/deploy/k8s/validate.py" <"$WORK/all.yaml" | tee "$WORK/out"
n=$(grep -c '^ok ' "$WORK/out")
[ "$n" -eq 23 ] || { echo "FAIL: $n documents valid, 23 expected"; exit 1; }
# the validator itself refuses a misspelt field
sed 's/readinessProbe/readinesProbe/' "$WORK/all.yaml" | /usr/bin/python3 "$SRC/deploy/k8s/validate.py" >"$WORK/bad" &&
    { echo "FAIL: a misspelt field passed"; exit 1; }
grep -q 'readinesProbe: not a field of V1Container' "$WORK/bad" || { cat "$WORK/bad"; exit 1; }
# and CPU weights out of ratio: ingest no longer twice the others
sed '/^  name: ingest$/,/^---$/s/requests: {cpu: 200m/requests: {cpu: 150m/' "$WORK/all.yaml" >"$WORK/weights.yaml"
! cmp -s "$WORK/all.yaml" "$WORK/weights.yaml" || { echo "FAIL: the ingest request was not found"; exit 1; }
/usr/bin/python3 "$SRC/deploy/k8s/validate.py" <"$WORK/weights.yaml" >"$WORK/bad" &&
    { echo "FAIL: CPU weights out of ratio passed"; exit 1; }
grep -q "StatefulSet archive: requests.cpu 100m, but ingest's 150m must be twice" "$WORK/bad" ||
    { cat "$WORK/bad"; exit 1; }
echo "1 passed, 0 failed"
