#!/usr/bin/env python3
"""Cold start, resident memory and binary size of the function binaries, beside Node.

Three tables for docs/benchmarks.md, from release binaries (CARGO_TARGET_DIR/release):

1. Start → first response, server mode: each function binary (and `jeevibe serve`) is started
   RUNS times on a fresh port with the local defaults (SQLite file, dev keys) and polled on
   127.0.0.1 with `GET /healthz` until it answers `{"status":"ok"}`; the time from spawn to the
   first 200 is one sample. Beside it, Node's `http` module answering the same JSON. Median and
   max of RUNS runs, in ms. With --strace, one extra run per binary under `strace -f -e openat`
   counts the files opened under /etc/ssl before the first response (TLS roots).
2. Resident memory (VmRSS and RssAnon of /proc/PID/status, MB) of `jeevibe serve` and of the
   `quiz-generate` function binary (the one that holds the bank when deployed): at start, with the
   8,000-question bank loaded (after the first quiz), and after 10,000 requests
   (`POST /v1/quizzes`, size 10, 64 Ultra users, one keep-alive connection); once with the
   bank imported before the start (`jeevibe import`), once seeded at start
   (`JEEVIBE_SEED_FILE`). Node's hello world at start for scale.
3. Size in bytes of each stripped release binary (the release profile strips).

Usage: benches/cold_start.py [--bin-dir /work/bench-target/release] [--runs 20] [--strace]
       [--requests 10000] [--skip-memory | --memory-only]
"""
import argparse
import http.client
import json
import os
import pathlib
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

BINARIES = ["quiz-generate", "quiz-complete", "snap-solve", "tutor-chat", "snapshot-fanout", "jeevibe"]
NODE_SERVER = (
    "require('http').createServer((q, s) => { s.writeHead(200, {'content-type': 'application/json'});"
    " s.end('{\"status\":\"ok\"}'); }).listen(+process.env.PORT, '127.0.0.1');"
)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def first_response(port, deadline_s=10.0):
    """Polls GET /healthz until a 200 with the expected body; returns the time it came."""
    end = time.perf_counter() + deadline_s
    while time.perf_counter() < end:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            res = conn.getresponse()
            body = res.read()
            conn.close()
            if res.status == 200 and json.loads(body) == {"status": "ok"}:
                return time.perf_counter()
        except (ConnectionRefusedError, ConnectionResetError, http.client.HTTPException, OSError):
            time.sleep(0.0002)
    raise TimeoutError(f"no answer on port {port} in {deadline_s} s")


def server_env(work, port, extra=None):
    env = dict(os.environ)
    env.update({
        "PORT": str(port),
        "JEEVIBE_SQLITE_PATH": str(work / "jeevibe.db"),
        "JEEVIBE_DEV_KEYS_DIR": str(work / "keys"),
        "RUST_LOG": "warn",
    })
    env.update(extra or {})
    return env


def stop(proc):
    """SIGTERM to the process group (the server, or strace and its tracee), SIGKILL after 10 s."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        proc.wait()


def spawn(cmd, env):
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def start_once(cmd, env, port, graceful=False):
    """Spawn → first 200 in ms (wall), and the CPU time (user + system, ms) the process used
    until then: it is killed with SIGKILL right after the answer and reaped with wait4, so no
    shutdown work is counted. CPU time barely moves with the machine's load; wall time does."""
    t0 = time.perf_counter()
    proc = spawn(cmd, env)
    try:
        wall = (first_response(port) - t0) * 1000.0
    except BaseException:
        stop(proc)
        raise
    if graceful:  # strace: SIGTERM lets it flush its trace file
        stop(proc)
        return wall, float("nan")
    os.killpg(proc.pid, signal.SIGKILL)
    _, _, usage = os.wait4(proc.pid, 0)
    proc.returncode = -9
    return wall, (usage.ru_utime + usage.ru_stime) * 1000.0


def cold_start(bins, runs, work, use_strace):
    rows = []
    targets = [(name, [str(bins[name])] + (["serve"] if name == "jeevibe" else [])) for name in BINARIES]
    node = shutil.which("node")
    if node:
        targets.append((f"node {subprocess.check_output([node, '--version'], text=True).strip()} http", [node, "-e", NODE_SERVER]))
    for name, cmd in targets:
        port = free_port()
        env = server_env(work, port)
        start_once(cmd, env, port)  # warm-up: the page cache holds the binary, the SQLite file exists
        samples, cpu = [], []
        for _ in range(runs):
            port = free_port()
            wall, used = start_once(cmd, server_env(work, port), port)
            samples.append(wall)
            cpu.append(used)
        certs = None
        if use_strace and shutil.which("strace"):
            port = free_port()
            trace = work / f"{name.split()[0]}.trace"
            start_once(["strace", "-f", "-qq", "-e", "trace=openat", "-o", str(trace)] + cmd, server_env(work, port), port, graceful=True)
            certs = sum(1 for line in trace.read_text().splitlines() if "/etc/ssl" in line or "/certs/" in line)
        rows.append((name, statistics.median(samples), max(samples), certs, statistics.median(cpu)))
    return rows


def status_mb(pid, field):
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024.0
    raise RuntimeError(f"no {field}")


def rss_mb(pid):
    """(VmRSS, RssAnon) in MB: all resident pages, and the anonymous ones (heap, stacks)."""
    return status_mb(pid, "VmRSS"), status_mb(pid, "RssAnon")


def settle():
    time.sleep(1.0)


def memory(bins, work, requests, bank):
    jeevibe = str(bins["jeevibe"])
    results = []
    for how, cmd in (
        ("jeevibe serve, imported before start", [jeevibe, "serve"]),
        ("jeevibe serve, seeded at start", [jeevibe, "serve"]),
        ("quiz-generate (the deployed function), imported before start", [str(bins["quiz-generate"])]),
    ):
        run = work / f"run{len(results)}"
        run.mkdir()
        env = server_env(run, free_port())
        if "seeded" in how:
            env["JEEVIBE_SEED_FILE"] = str(bank)
        else:
            subprocess.run([jeevibe, "import", str(bank)], env=env, check=True, capture_output=True)
        port = int(env["PORT"])
        proc = spawn(cmd, env)
        try:
            first_response(port, 120)
            settle()
            at_start = rss_mb(proc.pid)
            tokens = [
                subprocess.check_output(
                    [jeevibe, "mint-token", "--uid", f"mem-{i}", "--tier", "ultra", "--keys-dir", str(run / "keys")],
                    text=True,
                ).strip()
                for i in range(64)
            ]
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

            def quiz(i):
                conn.request("POST", "/v1/quizzes", body='{"size": 10}', headers={
                    "Authorization": f"Bearer {tokens[i % len(tokens)]}", "Content-Type": "application/json"})
                res = conn.getresponse()
                res.read()
                if res.status != 201:
                    raise RuntimeError(f"POST /v1/quizzes: HTTP {res.status}")

            quiz(0)
            settle()
            with_bank = rss_mb(proc.pid)
            t0 = time.perf_counter()
            for i in range(1, requests + 1):
                quiz(i)
            elapsed = time.perf_counter() - t0
            settle()
            after = rss_mb(proc.pid)
            conn.close()
        finally:
            stop(proc)
        results.append((how, at_start, with_bank, after, requests / elapsed))
    node_rss = None
    node = shutil.which("node")
    if node:
        port = free_port()
        proc = spawn([node, "-e", NODE_SERVER], server_env(work, port))
        try:
            first_response(port)
            settle()
            node_rss = rss_mb(proc.pid)[0]
        finally:
            stop(proc)
    return results, node_rss


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin-dir", default=os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "release"))
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--requests", type=int, default=10000)
    ap.add_argument("--strace", action="store_true")
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument("--memory-only", action="store_true", help="only the memory table (needs jeevibe and quiz-generate)")
    args = ap.parse_args()
    bins = {name: pathlib.Path(args.bin_dir) / name for name in BINARIES}
    needed = ["jeevibe", "quiz-generate"] if args.memory_only else BINARIES
    missing = [str(bins[n]) for n in needed if not bins[n].exists()]
    if missing:
        sys.exit(f"missing release binaries: {', '.join(missing)} (cargo build --release --bins)")
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at start")
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp)
        if not args.memory_only:
            start_and_size_tables(bins, args, work)
        if not args.skip_memory:
            memory_table(bins, args, work)


def start_and_size_tables(bins, args, work):
    print(f"\n### Start → first response (server mode, {args.runs} runs)\n")
    print("| binary | median ms | max ms | median CPU ms (user + system) | files opened under /etc/ssl before it listens |")
    print("|---|---|---|---|---|")
    rows = cold_start(bins, args.runs, work, args.strace)
    for name, med, mx, certs, cpu in rows:
        print(f"| {name} | {med:.2f} | {mx:.2f} | {cpu:.2f} | {'–' if certs is None else certs} |")
    node_med = next((m for n, m, _, _, _ in rows if n.startswith("node")), None)
    if node_med:
        worst = max(m for n, m, _, _, _ in rows if not n.startswith("node"))
        worst_cpu = max(c for n, _, _, _, c in rows if not n.startswith("node"))
        print(f"\nslowest function median {worst:.2f} ms (CPU {worst_cpu:.2f} ms): goal <= 5 ms "
              f"{'met' if worst <= 5 else 'NOT met'}; Node is {node_med / worst:.0f}x slower")
    print("\n### Stripped release binaries\n")
    print("| binary | bytes | MiB |")
    print("|---|---|---|")
    for name in BINARIES:
        size = bins[name].stat().st_size
        print(f"| {name} | {size:,} | {size / 2**20:.1f} |")


def memory_table(bins, args, work):
    bank = work / "bank.jsonl"
    subprocess.run([str(bins["jeevibe"]), "gen-bank", "--count", "8000", "--seed", "42", "--out", str(bank)],
                   check=True)
    results, node_rss = memory(bins, work, args.requests, bank)
    print(f"\n### Resident memory (VmRSS, MB; 8,000-question bank; {args.requests:,} requests)\n")
    print("VmRSS / RssAnon (anonymous pages: heap, stacks), MB\n")
    print("| bank | at start | with the bank | after the requests | requests/s (one connection) |")
    print("|---|---|---|---|---|")
    for how, a, b, c, rps in results:
        print(f"| {how} | {a[0]:.1f} / {a[1]:.1f} | {b[0]:.1f} / {b[1]:.1f} | {c[0]:.1f} / {c[1]:.1f} | {rps:.0f} |")
    if node_rss:
        print(f"| Node hello world (scale) | {node_rss:.1f} | – | – | – |")
    worst = max(max(b[0], c[0]) for _, _, b, c, _ in results)
    print(f"\nlargest with the bank: {worst:.1f} MB: goal <= 24 MB {'met' if worst <= 24 else 'NOT met'}")


if __name__ == "__main__":
    main()
