#!/usr/bin/env bash
# Runs every test of the project: ./test.sh [go test flags], e.g. ./test.sh -race
#
# PostgreSQL tests use INSTANTERP_TEST_POSTGRES_URL (default: the local server as root,
# trust auth). Where no server answers they are skipped, and this script says so
# loudly at the end; INSTANTERP_TEST_POSTGRES_REQUIRED=1 turns the skip into a failure.
set -uo pipefail
cd "$(dirname "$0")"
note=$(mktemp)
export INSTANTERP_TEST_SKIP_NOTE="$note"
: >"$note"
go test "$@" ./...
status=$?
if [ -s "$note" ]; then
  echo
  echo "############################################################################"
  echo "#  POSTGRESQL TESTS WERE SKIPPED: every storage test ran on SQLITE ONLY.   #"
  echo "############################################################################"
  sort -u "$note" | head -3
fi
rm -f "$note"
exit $status
