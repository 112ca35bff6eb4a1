"""The benchmark's memory: the peak resident memory of every process it runs, summed (issue 18).

Issue 18 asks that a year of all IP filings (20 M, docs/domain.md#load-to-plan-for) is benchmarked
with the resident memory of *every* bench process together under 4 GB: the main process (chain,
index writer, API server), the workers preparing filings, the process where the index checks
batches, the ``prioreg serve`` processes of the served measurement and the load generators.

Each process's peak is its ``VmHWM`` (Linux ``/proc/<pid>/status``), read while it still runs —
just before the bench shuts it down, or by the process itself at its end (the load generator), or
polled while the bench waits for it (``wrk``). Not ``ru_maxrss``: Linux carries the high-water mark
of the address space a process had before ``execve`` into it, so a child started from the bench's
main process (``fork``/``vfork`` + ``exec``) reports at least the main process's size (a 20 MB load
generator showed 411 MB at 300,000 filings). The sum of the peaks is an upper bound of what was
resident at once: some of these processes never run at the same time (the two served gateways, the
load runs), and a page shared between processes (code of the same libraries) counts in each.
"""

from __future__ import annotations

import os
import resource
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["ProcessPeaks", "descendants", "peak_rss_bytes", "wait_peak_rss_bytes"]


def peak_rss_bytes(pid: int | None = None) -> int | None:
    """The peak resident memory (``VmHWM``) of process ``pid`` (None: this one), None where unknown.

    For this process off Linux: ``ru_maxrss`` (which may count what the process was before ``exec``).
    """
    try:
        for line in Path(f"/proc/{'self' if pid is None else pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 if pid is None else None


def wait_peak_rss_bytes(pid: int) -> tuple[int, int]:
    """Wait for child ``pid``; its exit code and ``wait4``'s ``ru_maxrss`` in bytes (an upper bound: see above)."""
    _, status, usage = os.wait4(pid, 0)
    return os.waitstatus_to_exitcode(status), usage.ru_maxrss * 1024


def descendants(pid: int) -> list[int]:
    """Every living process below ``pid`` (children, their children …), from ``/proc``."""
    parents: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ")".
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 1 and fields[1].isdigit():
            parents.setdefault(int(fields[1]), []).append(int(entry))
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return sorted(found)


@dataclass
class ProcessPeaks:
    """The peak RSS of each bench process, as they are read, and their sum."""

    processes: list[dict[str, Any]] = field(default_factory=list)

    def add(self, role: str, peak: int | None, pid: int | None = None) -> None:
        """Record ``role``'s peak (bytes); a peak that could not be read is kept as None, not counted."""
        self.processes.append({"role": role, "pid": pid, "peakRssBytes": peak})

    def read(self, role: str, pids: Iterable[int]) -> None:
        """Read and record the peak of each of ``pids`` (living processes) as ``role``."""
        for pid in pids:
            self.add(role, peak_rss_bytes(pid), pid)

    def extend(self, other: list[dict[str, Any]]) -> None:
        """Add the processes another part of the bench recorded (:meth:`to_json`'s ``processes``)."""
        self.processes.extend(other)

    @property
    def summed(self) -> int:
        return sum(p["peakRssBytes"] or 0 for p in self.processes)

    def to_json(self) -> dict[str, Any]:
        by_role: dict[str, int] = {}
        for p in self.processes:
            by_role[p["role"]] = by_role.get(p["role"], 0) + (p["peakRssBytes"] or 0)
        return {
            "summedPeakRssBytes": self.summed,
            "byRole": by_role,
            "processes": self.processes,
            "unread": sum(1 for p in self.processes if p["peakRssBytes"] is None),
            "note": "the sum of each bench process's peak RSS (VmHWM read before it exits, or wait4's ru_maxrss): "
            "an upper bound of what was resident at once, since the served gateways and the load runs "
            "follow one another",
        }
