#!/bin/sh
# Stands in for openocd (and power commands) in the unit tests: appends its
# arguments, one per line and then "--", to $FAKE_OPENOCD_ARGS when set;
# prints a captured run's output ($FAKE_OPENOCD_OUTPUT, when set) and exits
# as that run did ($FAKE_OPENOCD_EXIT), after $FAKE_OPENOCD_SLEEP seconds.
if [ -n "${FAKE_OPENOCD_ARGS:-}" ]; then
	for a in "$@"; do printf '%s\n' "$a"; done >>"$FAKE_OPENOCD_ARGS"
	echo -- >>"$FAKE_OPENOCD_ARGS"
fi
[ -n "${FAKE_OPENOCD_SLEEP:-}" ] && sleep "$FAKE_OPENOCD_SLEEP"
[ -n "${FAKE_OPENOCD_OUTPUT:-}" ] && cat "$FAKE_OPENOCD_OUTPUT"
exit "${FAKE_OPENOCD_EXIT:-0}"
