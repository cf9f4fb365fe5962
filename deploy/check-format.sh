#!/bin/sh
# Every C file as .clang-format says (Debian 12's clang-format 14). Includes
# are not sorted: cmocka.h must follow the headers it needs.
set -eu
cd "$(dirname "$0")/.."
if ! command -v clang-format >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends clang-format
fi
git ls-files '*.c' '*.h' | xargs clang-format --dry-run -Werror
echo "format: every C file as .clang-format says"
