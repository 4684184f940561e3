"""Run one command; print its wall time, CPU time, peak RSS (KiB), exit status and this wrapper's peak as JSON.

Usage: python -I -S bench/_wrapper.py COMMAND ARGS...  (see bench/spawn.py for why it is a separate process).
Imports only os, sys and time, so that its own peak (which a child inherits at exec) stays near 8 MB.
"""

import os
import sys
import time


def _own_peak_kb() -> int:
    """VmHWM of this wrapper's own address space: what the child inherits at exec.

    Not getrusage(RUSAGE_SELF), which also carries the peak of the process that spawned the wrapper.
    """
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def main(argv: list[str]) -> None:
    quiet = [
        (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
    ]
    floor = _own_peak_kb()
    start = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=quiet)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime  # the child's own CPU: what a busy machine does not inflate much
    print(f'{{"wall": {wall!r}, "maxrss_kb": {usage.ru_maxrss}, "exit": {code}, "floor_kb": {floor}, "cpu": {cpu!r}}}')


if __name__ == "__main__":
    main(sys.argv[1:])
