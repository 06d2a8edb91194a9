#!/usr/bin/env bash
# The tests run the storage tests on a real PostgreSQL server too: Debian's package gives the
# server binaries (initdb, pg_ctl); the tests start a throwaway cluster in a temp folder.
set -euo pipefail
if ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
