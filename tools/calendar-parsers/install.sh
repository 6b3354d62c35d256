#!/usr/bin/env bash
# Installs the independent calendar parsers the tests use: libical through GObject
# introspection (Evolution's parser) for the system python3, and ical.js (Thunderbird's)
# at the version package-lock.json pins. Idempotent: does nothing when both are there.
set -euo pipefail
cd "$(dirname "$0")"

if ! /usr/bin/python3 -c "import gi; gi.require_version('ICalGLib', '3.0')" 2>/dev/null; then
  echo "calendar-parsers: installing libical (gir1.2-ical-3.0, python3-gi)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends gir1.2-ical-3.0 python3-gi >/dev/null
  /usr/bin/python3 -c "import gi; gi.require_version('ICalGLib', '3.0')"
fi

installed=$(node -p "require('./node_modules/ical.js/package.json').version" 2>/dev/null || true)
if [ "$installed" != "$(node -p "require('./package.json').dependencies['ical.js']")" ]; then
  echo "calendar-parsers: installing ical.js (npm ci)"
  npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
fi
