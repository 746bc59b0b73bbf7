"""`make bench` (`.venv/bin/python -m bench`): both benches, then a summary against the targets.

    .venv/bin/python -m bench [--postgres] [--redis] [--strict] [--only http|inprocess]

Extra arguments after `--` go to bench/run.py (e.g. `-- --rounds 3`). `--postgres` runs both
against a throwaway PostgreSQL 15 cluster instead of SQLite files; DATABASE_URL, when set, is
used as it is (it must be a throwaway database). `--redis` adds a throwaway Redis (REDIS_URL):
`--postgres --redis` is the production configuration. `--strict` exits 1 when a target is missed.
"""

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


def run(script, json_path, extra, env):
    command = [sys.executable, str(BENCH / script), "--json", str(json_path), *extra]
    subprocess.run(command, cwd=ROOT, env=env, check=True)
    print(flush=True)
    return json.loads(json_path.read_text())


def summary(http, inprocess):
    rows = []
    if http:
        path = next(iter(http["ratio"]))
        ratio = http["ratio"][path]
        rows += [
            ("/livez under gunicorn + wrk", f"{http['livez_rps']:.0f} req/s", "", None),
            (f"{path} under gunicorn + wrk", f"{http['verify_rps'][path]:.0f} req/s", "", None),
            ("verify / livez, req/s", f"{ratio:.2f}", ">= 0.85", ratio >= 0.85),
            ("verify / livez, requests per CPU-second", f"{http['cpu_ratio'][path]:.2f}", "", None),
        ]
    if inprocess:
        q = inprocess["queries"]
        rows += [
            ("Keydesk verify(), in process", f"{inprocess['keydesk_us']:.1f} us", "", None),
            ("drf-api-key is_valid()", f"{inprocess['drf_api_key_us']:.1f} us", "", None),
            (
                "Keydesk faster by",
                f"{inprocess['speedup']:.1f}x",
                ">= 5x",
                inprocess["speedup"] >= 5,
            ),
            (
                "queries, malformed key",
                f"{max(q['malformed_checksum'], q['malformed_shape']):g}",
                "0",
                q["malformed_checksum"] == q["malformed_shape"] == 0,
            ),
            (
                "queries, valid hot key (avg of 100)",
                f"{q['valid_hot_avg']:g}",
                "<= 1",
                q["valid_hot_avg"] <= 1,
            ),
        ]
    width = max(len(r[0]) for r in rows)
    lines = [f"{'Summary':{width}}  {'measured':>12}  {'target':>8}"]
    for name, measured, target, met in rows:
        verdict = "" if met is None else ("  ok" if met else "  MISSED")
        lines.append(f"{name:{width}}  {measured:>12}  {target:>8}{verdict}")
    return "\n".join(lines), all(r[3] is not False for r in rows)


@contextlib.contextmanager
def throwaway_redis():
    """Debian's redis-server on a free loopback port, nothing kept; yields its REDIS_URL."""
    import socket
    import time

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", ""],
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port)):
                break
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL cluster")
    parser.add_argument("--redis", action="store_true", help="a throwaway Redis (REDIS_URL)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--only", choices=["http", "inprocess"])
    parser.add_argument("run_args", nargs="*", help="after --: arguments for bench/run.py")
    args = parser.parse_args()

    with contextlib.ExitStack() as stack:
        env = dict(os.environ)
        if args.postgres:
            from bench.postgres import throwaway_cluster

            env["DATABASE_URL"] = stack.enter_context(throwaway_cluster())
        if args.redis:
            env["REDIS_URL"] = stack.enter_context(throwaway_redis())
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="keydesk-bench-")))
        http = inprocess = None
        if args.only != "inprocess":
            http = run("run.py", tmp / "http.json", args.run_args, env)
        if args.only != "http":
            inprocess = run("inprocess.py", tmp / "inprocess.json", [], env)
    table, met = summary(http, inprocess)
    print(table)
    if args.strict and not met:
        sys.exit(1)


if __name__ == "__main__":
    main()
