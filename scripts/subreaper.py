#!/usr/bin/env python3
"""Runs a command as a child subreaper that reaps every orphan at once: `scripts/subreaper.py CMD ARGS...`.

For benchmarks only. Processes a Commands action leaves behind are reparented to the nearest
subreaper; without one they wait for PID 1, which on some machines reaps every ~2 s and in a
container may never. Running commands_bench under this shows what the engine costs when PID 1 is
quick, next to what it costs as it is (issue 19). Exits with the command's exit status.
"""
import ctypes
import os
import sys

PR_SET_CHILD_SUBREAPER = 36

if len(sys.argv) < 2:
    sys.exit(__doc__)
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
    sys.exit(f"prctl(PR_SET_CHILD_SUBREAPER): {os.strerror(ctypes.get_errno())}")
child = os.fork()
if child == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
while True:
    pid, status = os.waitpid(-1, 0)
    if pid == child:
        sys.exit(os.waitstatus_to_exitcode(status))
