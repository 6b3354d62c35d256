#!/usr/bin/env bash
# Installs Debian's faketime, with which `make test-a-year-ahead` runs the suite a year
# from now: no test may depend on today's date. Idempotent.
set -euo pipefail
if ! command -v faketime >/dev/null; then
  echo "faketime: installing faketime (apt)"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -qq --no-install-recommends faketime >/dev/null 2>&1; then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends faketime >/dev/null
  fi
fi
