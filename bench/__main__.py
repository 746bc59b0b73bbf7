"""`make bench` (`.venv/bin/python -m bench`): the benches, then a summary against the targets.

    .venv/bin/python -m bench [--postgres] [--redis] [--strict] [--only http|inprocess]

By default bench/run.py runs twice, on SQLite files and then in the production configuration (a
throwaway PostgreSQL 15 cluster and a throwaway Redis, on the same cores: it needs root, Debian's
PostgreSQL 15 and redis-server, and says so and goes on without them), and bench/inprocess.py
runs on SQLite. `--postgres` and/or `--redis` run both benches in that one configuration.
DATABASE_URL and REDIS_URL from the environment are not used: every run makes its own
throwaway databases (bench/run.py and bench/inprocess.py, run on their own, use DATABASE_URL).
Extra arguments after `--` go to bench/run.py (e.g. `-- --rounds 3`). `--strict` exits 1 when a
target is missed.
"""

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

# verify / livez in req/s, by configuration (postgres, redis); none for the others.
RATIO_TARGETS = {(False, False): 0.85, (True, True): 0.6}


def label(postgres, redis):
    return f"{'PostgreSQL' if postgres else 'SQLite'}{' + Redis' if redis else ''}"


def run(script, json_path, extra, env):
    command = [sys.executable, str(BENCH / script), "--json", str(json_path), *extra]
    subprocess.run(command, cwd=ROOT, env=env, check=True)
    print(flush=True)
    return json.loads(json_path.read_text())


def http_rows(name, http, target):
    path = next(iter(http["ratio"]))
    ratio = http["ratio"][path]
    load = http["load_average"]
    return [
        (
            f"{name}: /livez, {path}",
            f"{http['livez_rps']:.0f} / {http['verify_rps'][path]:.0f} req/s",
            "",
            None,
        ),
        (
            f"{name}: verify / livez, req/s",
            f"{ratio:.2f}",
            f">= {target}" if target else "",
            ratio >= target if target else None,
        ),
        (f"{name}: verify / livez, per CPU-second", f"{http['cpu_ratio'][path]:.2f}", "", None),
        (
            f"{name}: load average before, after",
            f"{load['before'][0]:.1f}, {load['after'][0]:.1f}",
            "",
            None,
        ),
    ]


def inprocess_rows(inprocess):
    q = inprocess["queries"]
    return [
        ("Keydesk verify(), in process", f"{inprocess['keydesk_us']:.1f} us", "", None),
        ("drf-api-key is_valid()", f"{inprocess['drf_api_key_us']:.1f} us", "", None),
        ("Keydesk faster by", f"{inprocess['speedup']:.1f}x", ">= 5x", inprocess["speedup"] >= 5),
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


def summary(rows):
    width = max(len(r[0]) for r in rows)
    lines = [f"{'Summary':{width}}  {'measured':>20}  {'target':>8}"]
    for name, measured, target, met in rows:
        verdict = "" if met is None else ("  ok" if met else "  MISSED")
        lines.append(f"{name:{width}}  {measured:>20}  {target:>8}{verdict}")
    return "\n".join(lines), all(r[3] is not False for r in rows)


def production_missing():
    """Why the PostgreSQL + Redis configuration cannot run here, or None."""
    from bench.postgres import PG_BIN

    if os.geteuid() != 0:
        return "needs root (PostgreSQL runs as the postgres user)"
    if not (PG_BIN / "initdb").exists():
        return f"needs PostgreSQL 15 in {PG_BIN} (apt-get install postgresql-15)"
    if not shutil.which("redis-server"):
        return "needs redis-server (apt-get install redis-server)"
    return None


@contextlib.contextmanager
def throwaway_redis():
    """Debian's redis-server on a free loopback port, nothing kept; yields its URL and pid."""
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
        yield f"redis://127.0.0.1:{port}/0", server.pid
    finally:
        server.terminate()
        server.wait(timeout=10)


@contextlib.contextmanager
def configuration(postgres, redis):
    """The environment for the benches' processes: throwaway databases, as asked."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    services = []
    with contextlib.ExitStack() as stack:
        if postgres:
            from bench.postgres import throwaway_cluster

            env["DATABASE_URL"], pid = stack.enter_context(throwaway_cluster())
            services.append(pid)
        if redis:
            env["REDIS_URL"], pid = stack.enter_context(throwaway_redis())
            services.append(pid)
        env["BENCH_SERVICE_PIDS"] = " ".join(map(str, services))
        yield env


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", action="store_true", help="only on a throwaway PostgreSQL")
    parser.add_argument("--redis", action="store_true", help="only with a throwaway Redis")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--only", choices=["http", "inprocess"])
    parser.add_argument("run_args", nargs="*", help="after --: arguments for bench/run.py")
    args = parser.parse_args()

    chosen = args.postgres or args.redis
    http_configurations = [(args.postgres, args.redis)] if chosen else [(False, False)]
    missing = None
    if not chosen:
        missing = production_missing()
        if missing is None:
            http_configurations.append((True, True))
    rows = []
    with tempfile.TemporaryDirectory(prefix="keydesk-bench-") as tmp:
        if args.only != "inprocess":
            for postgres, redis in http_configurations:
                name = label(postgres, redis)
                print(f"== bench/run.py: {name}", flush=True)
                with configuration(postgres, redis) as env:
                    http = run("run.py", Path(tmp) / "http.json", args.run_args, env)
                rows += http_rows(name, http, RATIO_TARGETS.get((postgres, redis)))
            if missing:
                rows.append(("PostgreSQL + Redis: not run", missing, ">= 0.6", None))
                print(f"PostgreSQL + Redis not measured: {missing}", file=sys.stderr)
        if args.only != "http":
            name = label(args.postgres, args.redis)
            print(f"== bench/inprocess.py: {name}", flush=True)
            with configuration(args.postgres, args.redis) as env:
                rows += inprocess_rows(run("inprocess.py", Path(tmp) / "inprocess.json", [], env))
    table, met = summary(rows)
    print(table)
    if args.strict and not met:
        sys.exit(1)


if __name__ == "__main__":
    main()
