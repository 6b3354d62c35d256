#!/usr/bin/env bash
# Installs what the browser journeys (tests/browser) need: Debian's Chromium headless
# shell, which Playwright drives at /usr/bin/chromium-headless-shell (never a browser
# build of Playwright's own), and axe-core at the version package-lock.json pins.
# Idempotent: does nothing when both are there.
#
# The headless shell is the same Chromium (Blink, V8, version) without the desktop
# browser around it, as Playwright itself uses for headless runs: the journeys take a
# quarter less CPU in it than in the full browser.
set -euo pipefail
cd "$(dirname "$0")"

SHELL_BINARY=/usr/bin/chromium-headless-shell
if [ ! -x "$SHELL_BINARY" ]; then
  echo "browser: installing chromium-headless-shell (apt)"
  export DEBIAN_FRONTEND=noninteractive
  # Update the package lists only when they do not know the package yet (a fresh machine).
  if ! apt-get install -y -qq --no-install-recommends chromium-headless-shell >/dev/null 2>&1; then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends chromium-headless-shell >/dev/null
  fi
  "$SHELL_BINARY" --version 2>/dev/null
fi

installed=$(node -p "require('./node_modules/axe-core/package.json').version" 2>/dev/null || true)
if [ "$installed" != "$(node -p "require('./package.json').dependencies['axe-core']")" ]; then
  echo "browser: installing axe-core (npm ci)"
  npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
fi
