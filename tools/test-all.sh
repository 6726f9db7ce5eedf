#!/usr/bin/env bash
# README's test command (`make test`): unit tests (mocha), every notebook in quick mode, and the plot check.
# Logs go to build/test-logs/; the last line is "N passed, N failed" (mocha tests + notebooks + plot checks).
set -uo pipefail
cd "$(dirname "$0")/.."
logs=build/test-logs
mkdir -p "$logs"
PYTHON=${PYTHON:-/usr/bin/python3}
export JUPYTER_PATH="$PWD${JUPYTER_PATH:+:$JUPYTER_PATH}"
export PYDEVD_DISABLE_FILE_VALIDATION=1

build_failed=0
echo "== build (tsc)"
if ! npx tsc -p tsconfig.json; then build_failed=1; fi
sh tools/build-native.sh

echo "== unit tests (mocha, one process per test file)"
# One process per file: the wasm heap only grows, so a file that builds VGG-16 must not starve the next one.
mkdir -p "$logs/mocha"
rm -f "$logs"/mocha/*
# Two test files run at once on a 2-core machine: one native-kernel thread each (tests that need 2 threads set it).
ls dist/test/*.test.js | COMPACT_NETS_THREADS=${TEST_THREADS:-1} xargs -P "${TEST_JOBS:-2}" -I{} sh -c 'f="{}"; n=$(basename "$f" .test.js); npx mocha --reporter spec "$f" > "'"$logs"'/mocha/$n.log" 2>&1; echo "$?" > "'"$logs"'/mocha/$n.status"'
m_pass=0; m_fail=0
for status_file in "$logs"/mocha/*.status; do
  n=$(basename "$status_file" .status)
  log="$logs/mocha/$n.log"
  p=$(grep -Eo '^ +[0-9]+ passing' "$log" | tail -1 | grep -Eo '[0-9]+' || true)
  f=$(grep -Eo '^ +[0-9]+ failing' "$log" | tail -1 | grep -Eo '[0-9]+' || true)
  p=${p:-0}; f=${f:-0}
  # A crashed file (no summary, non-zero exit) counts as one failure.
  if [ "$(cat "$status_file")" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  printf '%-32s %4s passed %3s failed\n' "$n" "$p" "$f"
  if [ "$f" -ne 0 ]; then echo "---- $log"; grep -v '^$' "$log" | tail -60; echo "----"; fi
  m_pass=$((m_pass + p)); m_fail=$((m_fail + f))
done

echo "== notebooks (quick mode)"
rm -rf build/notebooks-quick
"$PYTHON" tools/run_notebooks.py --quick --cell-timeout "${CELL_TIMEOUT:-900}" --notebook-timeout "${NOTEBOOK_TIMEOUT:-1800}" \
  --out build/notebooks-quick notebooks 2>&1 | tee "$logs/notebooks.log"
nb_status=${PIPESTATUS[0]}
n_pass=$(grep -c '^PASS ' "$logs/notebooks.log" || true)
n_fail=$(grep -c '^FAIL ' "$logs/notebooks.log" || true)
if [ "$nb_status" -ne 0 ] && [ "$n_fail" -eq 0 ]; then n_fail=1; fi

echo "== plots in exported HTML"
p_pass=0; p_fail=0
if compgen -G "build/notebooks-quick/*.html" >/dev/null; then
  node tools/check_plots.js build/notebooks-quick 2>&1 | tee "$logs/plots.log"
  plots_status=${PIPESTATUS[0]}
  p_pass=$(grep -c '^PLOTS OK' "$logs/plots.log" || true)
  p_fail=$(grep -c '^PLOTS FAIL' "$logs/plots.log" || true)
  if [ "$plots_status" -ne 0 ] && [ "$p_fail" -eq 0 ]; then p_fail=1; fi
else
  echo "no exported notebook HTML to check"; p_fail=1
fi

passed=$((m_pass + n_pass + p_pass))
failed=$((m_fail + n_fail + p_fail + build_failed))
echo
echo "unit tests: $m_pass passed, $m_fail failed; notebooks: $n_pass passed, $n_fail failed; plot checks: $p_pass passed, $p_fail failed; build failures: $build_failed"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
