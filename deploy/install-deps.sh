#!/bin/sh
# Install what building and testing Jiju needs, from Debian 12's packages only.
set -eu
PKGS="build-essential cmake pkg-config git ca-certificates
      libzmq3-dev libprotobuf-c-dev protobuf-c-compiler librocksdb-dev
      libcmocka-dev libjansson-dev libcsv-dev libcurl4-openssl-dev libssl-dev
      libuchardet-dev libzip-dev libexpat1-dev libxlsxwriter-dev
      python3 python3-zmq python3-protobuf protobuf-compiler tzdata"
# The portal's xlsx export test reads the workbook back with openpyxl.
PKGS="$PKGS python3-openpyxl"
# The portal: libmicrohttpd; its browser tests: chromium, Chinese fonts; its
# benchmark: wrk; its TLS test: openssl.
PKGS="$PKGS libmicrohttpd-dev chromium fonts-wqy-zenhei wrk openssl curl"
# /metrics: libmicrohttpd (above); tests/integration/test_prometheus.py: a real Prometheus;
# tests/integration/test_k8s_manifests.sh: the Kubernetes client's schemas (and
# Debian's kubectl where the machine has none of its own).
PKGS="$PKGS prometheus python3-kubernetes python3-yaml"
command -v kubectl >/dev/null 2>&1 || PKGS="$PKGS kubernetes-client"
# ctest's `format` test (deploy/check-format.sh): Debian 12's clang-format 14.
PKGS="$PKGS clang-format"
missing=""
# The portal's browser tests need node and npm (playwright-core, ECharts);
# a machine that has them from elsewhere keeps its own.
command -v npm >/dev/null 2>&1 || PKGS="$PKGS nodejs npm"
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# node and npm run the CloudEvents / Standard Webhooks conformance test
# (tests/integration/test_cloudevents.py); a Node.js installed another way,
# with its own npm, is used as it is
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || missing="$missing nodejs npm"
if [ -n "$missing" ]; then
    echo "installing:$missing"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi
