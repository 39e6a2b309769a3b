#!/bin/sh
# Stands in for openocd in test_openocd: prints a captured run's output and
# exits as that run did ($FAKE_OPENOCD_OUTPUT, $FAKE_OPENOCD_EXIT), after
# $FAKE_OPENOCD_SLEEP seconds when set.
[ -n "${FAKE_OPENOCD_SLEEP:-}" ] && sleep "$FAKE_OPENOCD_SLEEP"
cat "$FAKE_OPENOCD_OUTPUT"
exit "${FAKE_OPENOCD_EXIT:-0}"
