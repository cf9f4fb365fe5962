#!/bin/sh
# secrets.sh - the CURVE keys of deploy/keys-init.sh as one Secret per
# service, each holding only what that service needs: its own key pair and
# public key, the allow-list, and its peers' public keys.
#
#   deploy/keys-init.sh --dir /secure/keys --subscriber fgw ...
#   deploy/k8s/secrets.sh /secure/keys/server | kubectl apply -f -
#
# Prints the manifests (kubectl create --dry-run=client: no cluster needed).
set -eu
S=${1:?usage: secrets.sh KEYS_DIR/server}
secret() { # secret SERVICE FILE...
    name=$1
    shift
    args=""
    for f in "$@"; do args="$args --from-file=$f=$S/$f"; done
    echo "---"
    # shellcheck disable=SC2086
    kubectl create secret generic "jiju-keys-$name" --namespace jiju --dry-run=client -o yaml $args
}
secret assessment assessment.key assessment.pub keys.json
secret archive archive.key archive.pub keys.json assessment.pub
secret notification notification.key notification.pub keys.json assessment.pub
secret ingest ingest.key ingest.pub keys.json assessment.pub archive.pub
