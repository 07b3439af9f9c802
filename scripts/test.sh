#!/bin/sh
# `npm test` after setup: the whole vitest suite, then one plain summary line
# ("N passed, N failed, N skipped") that any CI log reader understands.
set -u
cd "$(dirname "$0")/.."
mkdir -p .cache
# The three static checks are independent: they run at the same time (on two cores this saves
# the shortest two of them), each into its own log, shown in order once all are done.
#   biome: lint and formatting (biome.json), on src, test, bench and scripts
#   depcruise: the layering (.dependency-cruiser.cjs): nothing imports upward, no tool imports
#     another, no circles
#   tsc: the tests are type-checked against the code they test (the build checks src and bench only)
checks=.cache/checks
rm -rf "$checks"
mkdir -p "$checks"
npx biome check --error-on-warnings . >"$checks/biome" 2>&1 &
biome=$!
npx depcruise src bench --config .dependency-cruiser.cjs >"$checks/depcruise" 2>&1 &
depcruise=$!
npx tsc -p tsconfig.test.json >"$checks/tsc" 2>&1 &
tsc=$!
wait $biome
biome=$?
wait $depcruise
depcruise=$?
wait $tsc
tsc=$?
cat "$checks/biome"
cat "$checks/depcruise" >&2
cat "$checks/tsc"
[ $biome = 0 ] || { echo "test: lint or formatting failed (npx biome check --write . fixes the formatting)" >&2; exit 1; }
[ $depcruise = 0 ] || { echo "test: the layering rules are broken (see above)" >&2; exit 1; }
[ $tsc = 0 ] || { echo "test: the tests do not type-check" >&2; exit 1; }
# the whole suite: every fixture first, outside any test's timeout (the libguestfs-made md and
# LUKS images take minutes on a fresh machine); a run of chosen files builds what they use
if [ $# = 0 ]; then
  fixtures=${JOOT_FIXTURES:-.cache/fixtures}
  t0=$(date +%s)
  bash test/fixtures/build.sh "$fixtures" || { echo "test: building the test images failed" >&2; exit 1; }
  # the stock-kernel VM (test/integration/stock-kernel.test.ts), where this host can make it
  if [ "$(id -u)" = 0 ] && command -v qemu-system-x86_64 >/dev/null && ls /boot/vmlinuz-* >/dev/null 2>&1; then
    bash test/fixtures/build.sh "$fixtures" .stock-kernel-vm || { echo "test: building the stock-kernel VM failed" >&2; exit 1; }
  fi
  echo "test: test images ready in $fixtures ($(($(date +%s) - t0)) s)"
fi
report=.cache/vitest-report.json
rm -f "$report"
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@"
status=$?
if [ -f "$report" ]; then
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
    console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
  ' "$report"
fi
exit $status
