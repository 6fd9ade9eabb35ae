#!/usr/bin/env bash
# `make test`: the whole suite and, beside it (the machine has two cores), the working-time tests rerun with
# the wall clock at each moment, one moment after another. The main pass prints as it goes; each moment
# run's output is printed after it, whole. Fails when the main pass or any moment run fails.
#   usage: test-with-moments.sh "PYTHON -m pytest ARGS" MOMENT...
set -u
pytest_cmd=$1
shift
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
(
  i=0
  for moment in "$@"; do
    i=$((i + 1))
    $pytest_cmd -m "working_time and not postgres" --moment "$moment" >"$logs/$i.log" 2>&1
    echo $? >"$logs/$i.rc"
  done
) &
moments_pid=$!
$pytest_cmd
status=$?
wait "$moments_pid"
i=0
for moment in "$@"; do
  i=$((i + 1))
  echo "== working-time tests with the wall clock at $moment"
  cat "$logs/$i.log"
  if [ "$(cat "$logs/$i.rc" 2>/dev/null || echo 1)" != 0 ]; then
    echo "== FAILED: the working-time tests with the wall clock at $moment"
    status=1
  fi
done
exit "$status"
