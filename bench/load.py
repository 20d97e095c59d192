"""Load generation on 127.0.0.1: wrk at fixed concurrency, a small Python client at a fixed rate,
and the gunicorn workers' memory read from /proc."""

from __future__ import annotations

import http.client
import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"


@dataclass
class LoadResult:
    tool: str
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    bad_status: int  # responses outside 2xx/3xx
    errors: int  # connect/read/write errors and timeouts
    target_rps: float | None = None
    statuses: dict[int, int] = field(default_factory=dict)


def ensure_wrk() -> str | None:
    """The wrk binary: installed from Debian when missing and we are root; None when unavailable."""
    found = shutil.which("wrk")
    if found:
        return found
    if Path("/usr/bin/apt-get").exists() and _is_root():
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, capture_output=True)
        if not shutil.which("wrk"):
            subprocess.run(["apt-get", "update", "-qq"], check=False, capture_output=True)
            subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, capture_output=True)
    return shutil.which("wrk")


def _is_root() -> bool:
    import os

    return os.geteuid() == 0


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(f"unreadable wrk latency {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def run_wrk(
    wrk: str, url: str, *, headers: dict[str, str], seconds: int, connections: int, threads: int = 2
) -> LoadResult:
    """wrk for `seconds` at `connections` open keep-alive connections; its latency percentiles."""
    cmd = [wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "30s"]
    for name, value in headers.items():
        cmd += ["-H", f"{name}: {value}"]
    out = subprocess.run([*cmd, url], check=True, capture_output=True, text=True).stdout
    pct = dict(re.findall(r"^\s+(50|99)(?:\.000)?%\s+(\S+)", out, re.M))
    total = re.search(r"(\d+) requests in ([\d.]+)(\w+)", out)
    seconds_taken = float(total.group(2)) * {"s": 1, "m": 60, "ms": 0.001, "us": 1e-6}[total.group(3)]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return LoadResult(
        tool=f"wrk -t{threads} -c{connections} -d{seconds}s",
        requests=int(total.group(1)),
        seconds=seconds_taken,
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        p50_ms=_ms(pct["50"]),
        p99_ms=_ms(pct["99"]),
        bad_status=int(bad.group(1)) if bad else 0,
        errors=sum(int(n) for n in sock.groups()) if sock else 0,
    )


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


def run_fixed_rate(
    port: int, path: str, *, headers: dict[str, str], rate: float, seconds: float, concurrency: int = 16
) -> LoadResult:
    """Requests sent on a fixed schedule (request i at i/rate seconds) for `seconds`.

    Latency is measured from each request's scheduled time, not from when a client thread got
    to it, so a slow server cannot hide its queueing (the coordinated-omission correction wrk2
    makes). The schedule is bounded: at most rate*seconds requests, then it stops.
    """
    total = max(1, int(rate * seconds))
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    lock = threading.Lock()
    next_index = iter(range(total))
    start = time.perf_counter() + 0.05

    def worker() -> None:
        nonlocal errors
        conn = http.client.HTTPConnection(HOST, port, timeout=10)
        while True:
            with lock:
                i = next(next_index, None)
            if i is None:
                break
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=10)
                with lock:
                    errors += 1
                continue
            elapsed = (time.perf_counter() - due) * 1000
            with lock:
                latencies.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1
        conn.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 30)
    took = time.perf_counter() - start
    latencies.sort()
    return LoadResult(
        tool=f"fixed rate, {concurrency} client threads",
        requests=len(latencies),
        seconds=took,
        rps=len(latencies) / took if took > 0 else 0.0,
        p50_ms=_percentile(latencies, 0.50),
        p99_ms=_percentile(latencies, 0.99),
        bad_status=sum(n for s, n in statuses.items() if not 200 <= s < 400),
        errors=errors,
        target_rps=rate,
        statuses=statuses,
    )


def run_count(
    port: int,
    requests: list[tuple[str, dict[str, str]]],
    *,
    total: int,
    concurrency: int = 4,
    max_seconds: float | None = None,
) -> dict:
    """`total` requests, cycling through `requests`, as fast as `concurrency` clients go
    (fewer if `max_seconds` runs out first)."""
    statuses: dict[int, int] = {}
    errors = 0
    lock = threading.Lock()
    counter = iter(range(total))
    deadline = time.perf_counter() + max_seconds if max_seconds else None

    def worker() -> None:
        nonlocal errors
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        while True:
            with lock:
                i = next(counter, None)
            if i is None or (deadline and time.perf_counter() > deadline):
                break
            path, headers = requests[i % len(requests)]
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=30)
                with lock:
                    errors += 1
                continue
            with lock:
                statuses[response.status] = statuses.get(response.status, 0) + 1
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {
        "statuses": statuses,
        "errors": errors,
        "requests": sum(statuses.values()) + errors,
        "seconds": time.perf_counter() - started,
    }


def worker_pids(master_pid: int) -> list[int]:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def worker_rss_mib(master_pid: int) -> list[float]:
    """Resident memory of each gunicorn worker (not the master), in MiB, from /proc/<pid>/status."""
    sizes = []
    for pid in worker_pids(master_pid):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except FileNotFoundError:
            continue
        match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
        if match:
            sizes.append(int(match.group(1)) / 1024)
    return sorted(sizes)


def drain(port: int, path: str, *, timeout: float = 180) -> float:
    """Seconds until the server answers a cheap request again (its queue is empty)."""
    started = time.perf_counter()
    for _ in range(3):
        conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
        try:
            conn.request("GET", path)
            conn.getresponse().read()
        except (OSError, http.client.HTTPException):
            pass
        finally:
            conn.close()
    return time.perf_counter() - started
