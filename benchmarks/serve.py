"""Throughput and latency of ``ilner serve``, with dynamic batching on and off, and a soak.

Usage: ILNER_DATA_DIR=../shared/datasets .venv/bin/python benchmarks/serve.py MODEL_DIR
       [--language hindi] [--clients 1 8 32] [--seconds 20] [--soak-seconds 180] [--json FILE]

For each setting (batching on: ``--batch-wait-ms 5``; off: ``--batch-wait-ms 0``, one forward
pass a request) the script starts ``ilner serve MODEL_DIR`` on a free loopback port, and for each
client count runs that many client threads for ``--seconds``, each on its own keep-alive
connection, sending one IL-NER test sentence a request (``{"text": ...}``, the language's test
split in order, cycled). It prints requests/s, words/s, p50/p95/p99 latency and errors for each
client count, then the ratio of words/s with batching to without, in the same run.

The soak (batching on) runs 8 clients for ``--soak-seconds`` with mixed requests: good ones,
and one in five bad (a body over the limit, invalid JSON, an unknown model, an empty text, a
text over the character limit). It counts answers by status (any 5xx is a failure) and samples
the server's resident memory every 5 s; "memory flat" compares the last third's mean with the
first third's (after a warm-up minute of the same load).

``--memory-passes N`` instead tags the test sentences N times in this process, in batches of
1 to 24 texts as the service gathers them, and prints resident memory and the number of Python
objects after each pass: what grows, if memory grows (run it again with
``ONEDNN_PRIMITIVE_CACHE_CAPACITY=0`` to see how much of it is oneDNN's cache of kernels, one per
input shape, bounded at 1,024 shapes).

Clients and server share the machine (2 cores here), so absolute numbers are a floor; the
ratios are what carries over. Bounded: at most (2 settings x clients x seconds) + soak seconds
plus start-up, about 5 minutes with the defaults. Loopback only.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path


NO_ANSWER = 599  # the connection failed before an HTTP answer came (counted apart from 5xx)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(model: str, batch_wait_ms: float) -> tuple[subprocess.Popen, int]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "ilner", "serve", model, "--port", str(port),
                                "--batch-wait-ms", str(batch_wait_ms), "--max-chars", "20000"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 180
    while time.time() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/health")
            if connection.getresponse().status == 200:
                return process, port
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit("ilner serve did not start in 180 s")


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(60)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def client_loop(port: int, bodies, stop_at: float, record) -> None:
    """Send ``bodies`` (cycled) until ``stop_at`` on one keep-alive connection; ``record(status,
    seconds, words)`` for each answer."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    i = 0
    while time.perf_counter() < stop_at:
        payload, words = bodies[i % len(bodies)]
        i += 1
        started = time.perf_counter()
        try:
            connection.request("POST", "/v1/ner", payload, {"Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            status = response.status
            if response.getheader("connection", "").lower() == "close":
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        except OSError:
            status = NO_ANSWER
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        record(status, time.perf_counter() - started, words)
    connection.close()


def load(port: int, bodies, clients: int, seconds: float) -> dict:
    latencies, statuses, words = [], Counter(), [0]
    lock = threading.Lock()

    def record(status, elapsed, n_words):
        with lock:
            statuses[status] += 1
            if status == 200:
                latencies.append(elapsed)
                words[0] += n_words

    stop_at = time.perf_counter() + seconds
    threads = [threading.Thread(target=client_loop, args=(port, bodies[c::clients] or bodies, stop_at, record))
               for c in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) >= 2 else [float("nan")] * 99
    return {"clients": clients, "requests": len(latencies), "requests_per_s": len(latencies) / elapsed,
            "words_per_s": words[0] / elapsed, "p50_ms": 1000 * quantiles[49], "p95_ms": 1000 * quantiles[94],
            "p99_ms": 1000 * quantiles[98], "errors": sum(n for s, n in statuses.items() if s != 200)}


def soak(port: int, pid: int, bodies, seconds: float, warmup: float) -> dict:
    bad = [
        (b'{"text": "' + b"x" * 1_100_000 + b'"}', 0),  # over the body limit
        (b'{"text": "unterminated', 0),
        (json.dumps({"text": "राम", "model": "no-such-model"}).encode(), 0),
        (json.dumps({"text": ""}).encode(), 0),
        (json.dumps({"text": "र" * 20_001}, ensure_ascii=False).encode(), 0),
    ]
    mixed = []
    for i, body in enumerate(bodies[:400]):
        mixed.append(body)
        if i % 4 == 3:
            mixed.append(bad[(i // 4) % len(bad)])
    statuses: Counter = Counter()
    memory: list[tuple[float, float]] = []
    lock = threading.Lock()

    def record(status, elapsed, n_words):
        with lock:
            statuses[status] += 1

    stop_at = time.perf_counter() + warmup + seconds
    threads = [threading.Thread(target=client_loop, args=(port, mixed[c::8], stop_at, record)) for c in range(8)]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    while any(t.is_alive() for t in threads):
        time.sleep(5)
        if time.perf_counter() - started >= warmup:
            memory.append((time.perf_counter() - started, rss_mb(pid)))
    for thread in threads:
        thread.join()
    third = max(1, len(memory) // 3)
    first, last = statistics.mean(m for _, m in memory[:third]), statistics.mean(m for _, m in memory[-third:])
    return {"answers": dict(sorted(statuses.items())),
            "server_errors": sum(n for s, n in statuses.items() if 500 <= s < 599),
            "no_answer": statuses.get(NO_ANSWER, 0),
            "rss_first_third_mb": round(first, 1), "rss_last_third_mb": round(last, 1),
            "rss_growth": round(last / first - 1, 4)}


def memory_passes(model: str, texts: list[str], passes: int) -> None:
    import gc
    import random

    from ilner.inference.tagger import Tagger

    tagger = Tagger.load(model)
    rng = random.Random(0)
    for number in range(1, passes + 1):
        begin = 0
        while begin < len(texts):
            size = rng.randint(1, 24)
            tagger(texts[begin:begin + size])
            begin += size
        gc.collect()
        print(f"pass {number}: resident memory {rss_mb(os.getpid()):.0f} MB, {len(gc.get_objects())} Python objects",
              flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model")
    parser.add_argument("--language", default="hindi")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--soak-seconds", type=float, default=180)
    parser.add_argument("--soak-warmup", type=float, default=60)
    parser.add_argument("--memory-passes", type=int, default=0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    from ilner.data.io import read_corpus
    from ilner.data.registry import locate, match

    [test_file] = match(f"il-ner:{args.language}:test")
    test = read_corpus(locate(test_file)).sentences
    bodies = [(json.dumps({"text": " ".join(s.tokens)}, ensure_ascii=False).encode(), len(s.tokens)) for s in test]
    print(f"{len(bodies)} {args.language} test sentences, {sum(w for _, w in bodies)} words; load average "
          f"{os.getloadavg()[0]:.2f}; model {args.model}", flush=True)
    if args.memory_passes:
        return memory_passes(args.model, [" ".join(s.tokens) for s in test], args.memory_passes)
    results: dict = {"runs": []}
    for name, wait in (("batching", 5.0), ("no batching", 0.0)):
        process, port = start_server(args.model, wait)
        try:
            load(port, bodies, 8, 3)  # warm-up
            for clients in args.clients:
                run = {"setting": name, **load(port, bodies, clients, args.seconds)}
                results["runs"].append(run)
                print(f"{name:12s} {clients:3d} clients: {run['requests_per_s']:7.1f} req/s {run['words_per_s']:8.0f} words/s "
                      f"p50 {run['p50_ms']:6.0f} ms  p95 {run['p95_ms']:6.0f} ms  p99 {run['p99_ms']:6.0f} ms  "
                      f"errors {run['errors']}", flush=True)
        finally:
            stop_server(process)
    by = {(r["setting"], r["clients"]): r for r in results["runs"]}
    print("\n| clients | words/s, batching | words/s, none | ratio | p99 batching (ms) | p99 none (ms) | errors |")
    print("|---|---|---|---|---|---|---|")
    for clients in args.clients:
        on, off = by[("batching", clients)], by[("no batching", clients)]
        ratio = on["words_per_s"] / off["words_per_s"] if off["words_per_s"] else float("nan")
        results.setdefault("ratios", {})[clients] = ratio
        print(f"| {clients} | {on['words_per_s']:.0f} | {off['words_per_s']:.0f} | {ratio:.2f} | {on['p99_ms']:.0f} | "
              f"{off['p99_ms']:.0f} | {on['errors'] + off['errors']} |")
    if args.soak_seconds > 0:
        process, port = start_server(args.model, 5.0)
        try:
            results["soak"] = soak(port, process.pid, bodies, args.soak_seconds, args.soak_warmup)
        finally:
            stop_server(process)
        s = results["soak"]
        print(f"\nsoak {args.soak_seconds:.0f} s (after {args.soak_warmup:.0f} s warm-up), 8 clients, 1 request in 5 bad: "
              f"answers by status {s['answers']} ({NO_ANSWER}: no answer); server errors {s['server_errors']}, "
              f"no answer {s['no_answer']}; resident memory "
              f"{s['rss_first_third_mb']} -> {s['rss_last_third_mb']} MB ({100 * s['rss_growth']:+.1f}%)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
