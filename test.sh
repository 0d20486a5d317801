#!/usr/bin/env bash
# The test command: starts what the tests need (a real PostgreSQL server), builds everything and
# runs every test project, then prints the totals on a line of its own: "N passed, N failed, N skipped".
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"
. scripts/postgres.sh || { echo "test: could not start PostgreSQL" >&2; exit 1; }
for s in scripts/test-setup.d/*.sh; do [ -f "$s" ] && { . "$s" || { echo "test: $s failed" >&2; exit 1; }; }; done

dotnet build Konfido.slnx -c Release --nologo -v quiet -clp:ErrorsOnly || { echo "0 passed, 1 failed"; exit 1; }
log=$(mktemp)
dotnet test Konfido.slnx -c Release --no-build --nologo "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
# Sum the per-assembly summaries ("Passed!  - Failed: 0, Passed: 12, Skipped: 0, Total: 12, ...").
read -r passed failed skipped < <(awk '
  /(Passed|Failed)!  *- *Failed:/ {
    for (i = 1; i <= NF; i++) { gsub(",", "", $(i+1));
      if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) }
  } END { printf "%d %d %d\n", p, f, s }' "$log")
rm -f "$log"
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi  # a crashed test host counts as a failure
echo "$passed passed, $failed failed, $skipped skipped"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
