#!/usr/bin/env bash
# Runs every driver scenario in every transport mode against an already running server.
# Usage: ./run-all.sh http://127.0.0.1:PORT [timeout-ms]
# Prints one line per scenario+mode and a final count; exits 0 only if everything passed.
set -u
URL="${1:?usage: run-all.sh URL [timeout-ms]}"
TIMEOUT="${2:-15000}"
DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

SCENARIOS=(connect-auth refused-auth echo-text echo-binary ack-client ack-server
           two-namespaces server-disconnect reconnect-after-drop rooms unknown-namespace)
MODES=(default websocket polling)

pass=0
fail=0
for scenario in "${SCENARIOS[@]}"; do
  for mode in "${MODES[@]}"; do
    out="$(node "$DIR/driver.mjs" --url "$URL" --transports "$mode" --scenario "$scenario" --timeout "$TIMEOUT" 2>/dev/null)"
    rc=$?
    if [ "$rc" -eq 0 ]; then
      pass=$((pass + 1)); status=PASS
    else
      fail=$((fail + 1)); status=FAIL
    fi
    printf '%-4s %-22s %-10s %s\n' "$status" "$scenario" "$mode" "$out"
  done
done
echo "passed $pass/$((pass + fail)), failed $fail"
[ "$fail" -eq 0 ]
