#!/usr/bin/env bash
# Installs what the browser journeys (tests/browser) need: Debian's Chromium, which
# Playwright drives at /usr/bin/chromium (never a browser build of Playwright's own),
# and axe-core at the version package-lock.json pins. Idempotent: does nothing when
# both are there.
set -euo pipefail
cd "$(dirname "$0")"

if [ ! -x /usr/bin/chromium ]; then
  echo "browser: installing chromium (apt)"
  export DEBIAN_FRONTEND=noninteractive
  # Update the package lists only when they do not know chromium yet (a fresh machine).
  if ! apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1; then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends chromium >/dev/null
  fi
  # The Debian launcher script grumbles on stderr about its own checks; the version is what counts.
  /usr/bin/chromium --version 2>/dev/null
fi

installed=$(node -p "require('./node_modules/axe-core/package.json').version" 2>/dev/null || true)
if [ "$installed" != "$(node -p "require('./package.json').dependencies['axe-core']")" ]; then
  echo "browser: installing axe-core (npm ci)"
  npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
fi
