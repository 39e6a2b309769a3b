#!/usr/bin/env bash
# The dashboard in headless Chromium (Debian's, driven by playwright-core):
# every page loads, the matrix marks a QEMU/hardware discrepancy, a running
# job's log grows while its page is open, the size chart has points, and a
# branch named <script>alert(1)</script> is text. Screenshots are kept under
# the build folder: dashboard-screenshots/. Emits TAP.
set -u
. "$(dirname "$0")/dash-lib.sh"
mods=$root/dashboard/node_modules
if [ ! -d "$mods/playwright-core" ] || [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
	echo "Bail out! no playwright-core or chromium: run make (scripts/dashboard-deps.sh, scripts/install-deps.sh)"
	exit 1
fi
dash_setup
shots=${RIG_BUILD_DIR:-$root/build}/dashboard-screenshots
export CHANGE_FAIL CHANGE_XSS JOB_RUNNING JOB_RUNNING_LOG JOB_DONE
node "$root/dashboard/tests/browser.mjs" "$url" "$shots"
rc=$?
echo "# screenshots in $shots"
[ $rc = 0 ] || sed 's/^/# rig: /' "$T/dash.err" | tail -n 20
exit $rc
