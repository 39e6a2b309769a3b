#!/usr/bin/env bash
# Installs the dashboard's npm packages, exactly as dashboard/package-lock.json
# pins them (npm ci): uPlot, the chart library the rig serves, and
# playwright-core, which drives Debian's chromium in the browser tests. No
# browser is downloaded, and no package's install script runs. Called by
# make; a second run with the lockfile unchanged does nothing, offline.
set -euo pipefail
cd "$(dirname "$0")/../dashboard"
stamp=node_modules/.rig-lock-sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -d node_modules/uplot/dist ] &&
   [ -d node_modules/playwright-core ]; then
	exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
	echo "dashboard-deps: no npm; scripts/install-deps.sh installs it" >&2
	exit 1
fi
echo "dashboard-deps: npm ci in dashboard/" >&2
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
echo "$want" >"$stamp"
