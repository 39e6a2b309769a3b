#!/usr/bin/env bash
# Source-level rules a compiler does not enforce. Emits TAP.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
echo "1..2"

# Unbounded string functions: use buf_*, snprintf or memcpy with a length.
hits=$(grep -nE '\b(strcpy|strcat|sprintf|vsprintf|gets|strtok)\s*\(' "$here"/*.c "$here"/*.h 2>/dev/null)
if [ -z "$hits" ]; then echo "ok 1 - no banned string functions"
else echo "not ok 1 - no banned string functions"; printf '# %s\n' "$hits"; fi

# Every subprocess goes through proc.c (one place for deadlines and groups).
hits=$(grep -nE '\b(system|popen|execvp|execlp|fork)\s*\(' "$here"/*.c | grep -v '^'"$here"'/proc.c:')
if [ -z "$hits" ]; then echo "ok 2 - subprocesses only in proc.c"
else echo "not ok 2 - subprocesses only in proc.c"; printf '# %s\n' "$hits"; fi
