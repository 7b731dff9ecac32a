"""Load test of `trm-hub serve` on 127.0.0.1 beside one `trm-hub route` process per problem.

Run: python benchmarks/bench_serve.py [--requests 96] [--clients 1 8 32] [--limit 120] [--cold 6]

Starts the server (CPU) on a free loopback port, warms it up, then for each number of concurrent
clients sends the same fixed list of requests (6x6 Sudoku puzzles: the shipped example and
held-out validation puzzles, in turn) and reports throughput and p50/p99 latency. Each level
stops at --limit seconds. The answers (without `seconds`) must be the same at every level.
Last, --cold problems are answered by one `trm-hub route` process each, one after another.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def problems(count: int) -> list[dict[str, Any]]:
    """The shipped 6x6 example, then held-out 6x6 validation puzzles (as puzzle strings)."""
    from trm_hub_plugins.sudoku.data import held_out_set

    example = json.loads((ROOT / "plugins/sudoku/examples/sudoku6.json").read_text())
    puzzles = held_out_set(6, ["easy", "medium", "hard"], max(count // 3, 1), seed=7).puzzles
    found = [example] + [{"puzzle": "".join(str(v) if v else "." for v in p)} for p in puzzles]
    return found[: max(count, 1)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(args: list[str]) -> tuple[subprocess.Popen, str]:
    """`trm-hub serve` on a free loopback port (warnings only: no access log), once healthy."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "trm_hub", "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--log-level", "warning", "--device", "cpu", *args], cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=5) as response:
                if response.status == 200:
                    return proc, url
        except OSError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server never became healthy")


def post(url: str, problem: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    body = json.dumps(problem).encode()
    began = time.perf_counter()
    req = urllib.request.Request(url + "/v1/route", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as response:
        answer = json.loads(response.read())
    return time.perf_counter() - began, answer


def load(url: str, work: list[dict[str, Any]], clients: int, limit: float) -> dict[str, Any]:
    """Send every request with `clients` at a time (stopping at `limit` s): throughput and latencies."""
    answers: list[dict[str, Any] | None] = [None] * len(work)
    latencies: list[float] = []
    lock, position = threading.Lock(), [0]
    began = time.perf_counter()

    def client() -> None:
        while time.perf_counter() - began < limit:
            with lock:
                index = position[0]
                position[0] += 1
            if index >= len(work):
                return
            seconds, answer = post(url, work[index])
            with lock:
                latencies.append(seconds)
                answers[index] = {k: v for k, v in answer.items() if k != "seconds"}

    with ThreadPoolExecutor(clients) as pool:
        for _ in range(clients):
            pool.submit(client)
    wall = time.perf_counter() - began
    done = len(latencies)
    return {"clients": clients, "requests": done, "wall_s": wall, "per_s": done / wall,
            "p50_ms": 1000 * float(np.percentile(latencies, 50)), "p99_ms": 1000 * float(np.percentile(latencies, 99)),
            "answers": answers}


def cold(work: list[dict[str, Any]], count: int) -> dict[str, Any]:
    """One `trm-hub route` process per problem, one after another."""
    latencies, answers = [], []
    env = {**os.environ, "TRM_HUB_DEBUG": ""}
    for problem in work[:count]:
        began = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "trm_hub", "route", "--device", "cpu", "-"],
                              input=json.dumps(problem), capture_output=True, text=True, cwd=ROOT, env=env)
        latencies.append(time.perf_counter() - began)
        answers.append({k: v for k, v in json.loads(done.stdout).items() if k != "seconds"})
    wall = sum(latencies)
    return {"clients": "1 process each", "requests": count, "wall_s": wall, "per_s": count / wall,
            "p50_ms": 1000 * float(np.percentile(latencies, 50)), "p99_ms": 1000 * float(np.percentile(latencies, 99)),
            "answers": answers}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=96, help="requests per concurrency level")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--limit", type=float, default=120.0, help="seconds allowed per level")
    parser.add_argument("--cold", type=int, default=6, help="problems answered by one process each")
    parser.add_argument("--server-args", default="", help="extra `trm-hub serve` options, e.g. '--batch-wait-ms 2'")
    args = parser.parse_args()

    work = problems(args.requests)
    work = [work[i % len(work)] for i in range(args.requests)]
    proc, url = start_server(args.server_args.split())
    try:
        load(url, work[:16], 8, args.limit)
        rows = [load(url, work, clients, args.limit) for clients in args.clients]
        with urllib.request.urlopen(url + "/healthz") as response:
            batches = json.loads(response.read())["batches"]
    finally:
        proc.terminate()
        code = proc.wait(timeout=60)
    if args.cold:
        rows.append(cold(work, args.cold))

    print(f"{len(work)} requests of 6x6 Sudoku per level ({len({json.dumps(p) for p in work})} distinct), "
          f"server on {url}, exit code {code}; {os.cpu_count()} CPUs")
    print(f"{'clients':>16} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for row in rows:
        print(f"{row['clients']!s:>16} {row['requests']:>8} {row['per_s']:>8.1f} {row['p50_ms']:>8.1f} {row['p99_ms']:>8.1f}")
    base, levels = rows[0], rows[: len(args.clients)]
    for row in levels[1:]:
        print(f"throughput at {row['clients']} clients / {base['clients']} client(s): {row['per_s'] / base['per_s']:.2f}x")
    if args.cold:
        print(f"{base['clients']} client(s) of the server / 1 process per problem: {base['per_s'] / rows[-1]['per_s']:.1f}x")
    reference = base["answers"]
    same = all(row["answers"][i] == reference[i] for row in levels[1:] for i in range(len(work))
               if row["answers"][i] is not None and reference[i] is not None)
    same_cold = all(a == reference[i] for i, a in enumerate(rows[-1]["answers"]) if reference[i] is not None) \
        if args.cold else None
    solved = sum(1 for a in reference if a and a.get("verified"))
    print(f"answers identical at every level: {same}; same as `trm-hub route`: {same_cold}; "
          f"verified {solved}/{sum(1 for a in reference if a)}")
    print(f"batches answered (size: count): {batches}")
    if not same or same_cold is False:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
