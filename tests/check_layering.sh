#!/bin/sh
# check_layering.sh BIN LIB... : fail when program BIN defines a global
# symbol that one of the static libraries LIB defines. Run by ctest (test
# "layering") for each service and the CLI with the libraries of every other
# service and of the CLI: common <- services <- cli, and services meet only
# through proto/ (the archive reader is the one library others may link).
set -eu
bin=$1
shift
syms() { nm --defined-only -g --format=posix "$@" 2>/dev/null | awk 'NF >= 2 && $2 ~ /^[TDBRVW]$/ {print $1}' | sort -u; }
mine=$(mktemp)
theirs=$(mktemp)
trap 'rm -f "$mine" "$theirs"' EXIT
syms "$bin" >"$mine"
[ -s "$mine" ] || { echo "layering: no symbols in $bin" >&2; exit 1; }
status=0
for lib in "$@"; do
    syms "$lib" >"$theirs"
    bad=$(comm -12 "$mine" "$theirs" | head -n 5)
    if [ -n "$bad" ]; then
        echo "layering: $(basename "$bin") holds code of $(basename "$lib"):" $bad >&2
        status=1
    fi
done
[ $status -eq 0 ] && echo "layering: $(basename "$bin") holds no code of:" $(for l in "$@"; do basename "$l"; done)
exit $status
