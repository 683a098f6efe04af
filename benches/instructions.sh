#!/usr/bin/env bash
# Instructions per request under callgrind, for bare axum, a `public` route and the fully
# secured route (see benches/overhead.rs): every thread counted, start-up left out by taking
# (count at 4N - count at N) / 3N. Instruction counts do not depend on the machine's load.
#
#   bash benches/instructions.sh        # N = 2000
#   bash benches/instructions.sh 500    # a quicker, noisier count
#
# Needs valgrind (apt-get install valgrind). Budget (DESIGN.md): the secured route at most
# bare axum + 8,000 instructions per request.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-2000}"
BUDGET=8000

binary=$(cargo bench --bench overhead --no-run --message-format=json 2>/dev/null |
    python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "overhead" and m.get("executable"):
        print(m["executable"])')
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

count() { # route requests -> total instructions of all threads
    valgrind --tool=callgrind --callgrind-out-file="$out/cg.%p" "$binary" \
        --route "$1" --requests "$2" >/dev/null 2>&1
    local total=0 file
    for file in "$out"/cg.*; do
        total=$((total + $(awk '/^summary:/ {print $2}' "$file")))
    done
    rm -f "$out"/cg.*
    echo "$total"
}

printf 'instructions per request, (count at %d - count at %d) / %d\n\n' $((4 * N)) "$N" $((3 * N))
printf '%-10s %14s %14s\n' route instructions "vs bare axum"
bare=0
secured=0
for route in bare public secured; do
    small=$(count "$route" "$N")
    large=$(count "$route" $((4 * N)))
    per=$(((large - small) / (3 * N)))
    [ "$route" = bare ] && bare=$per
    [ "$route" = secured ] && secured=$per
    printf '%-10s %14d %+14d\n' "$route" "$per" $((per - bare))
done
if [ $((secured - bare)) -le $BUDGET ]; then verdict=met; else verdict="NOT met"; fi
printf '\nbudget: secured at most bare axum + %d: %s\n' "$BUDGET" "$verdict"
