"""Where a phase of a benchmark spent CPU: the whole machine's busy time and one process's (Linux /proc).

On a 2-core machine that also runs pdsim and PostgreSQL, a phase that keeps both cores busy is waiting on CPU,
not on the network; these figures tell the two apart."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

TICK = os.sysconf("SC_CLK_TCK")


def _machine_busy_seconds() -> float:
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / TICK


def _process_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        after_name = f.read().rsplit(")", 1)[1].split()
    return (int(after_name[11]) + int(after_name[12])) / TICK  # utime + stime


@dataclass
class CpuUse:
    wall: float
    machine: float  # CPU seconds of every process
    process: float  # CPU seconds of the watched process

    @property
    def cores(self) -> float:
        """Cores kept busy on average (the machine's count is the ceiling)."""
        return self.machine / self.wall if self.wall else 0.0


class CpuMeter:
    """`with CpuMeter(pid) as meter: …` then `meter.use`."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.use = CpuUse(0.0, 0.0, 0.0)

    def __enter__(self) -> CpuMeter:
        self._start = (time.perf_counter(), _machine_busy_seconds(), _process_seconds(self.pid))
        return self

    def __exit__(self, *exc: object) -> None:
        wall, machine, process = self._start
        self.use = CpuUse(
            time.perf_counter() - wall,
            _machine_busy_seconds() - machine,
            _process_seconds(self.pid) - process,
        )
