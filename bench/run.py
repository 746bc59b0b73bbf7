"""Throughput of `/livez` (the floor) and `/v1/auth/verify` under gunicorn, measured by wrk.

    .venv/bin/python bench/run.py [--rounds 2] [--duration 10] [--json FILE]
        [--settings MODULE] [--verify-path PATH ...]

Production settings (`config.settings`, DEBUG=false, fresh random SECRET_KEY and
KEY_HASH_SECRET, `gunicorn.conf.py` as deployed) on a throwaway SQLite file, or on DATABASE_URL
when it is set (it gets migrated and a demo organization and key: use a throwaway database),
with REDIS_URL when it is set. BENCH_SERVICE_PIDS (set by `python -m bench`) names the database
and Redis servers whose CPU time counts with gunicorn's.
gunicorn runs 2 sync workers on a free 127.0.0.1 port; wrk shares the machine's cores with it,
so the two endpoints are measured alternately in the same run and the ratio is what counts.

gunicorn.conf.py keeps its access log (to stderr, through the key-redacting filter): the bench
sends that stderr to a file in the temporary directory, so both endpoints pay the same log line.
"""

import argparse
import json
import os
import re
import resource
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
WRK = "wrk"

# The bench key must not hit its rate limit (the environment's default is 600 a minute).
RAISE_LIMIT = (
    "import os; from keys.models import ApiKey, digest; "
    "n = ApiKey.objects.filter(digest=digest(os.environ['BENCH_KEY'])).update(rate_limit=10**9); "
    "assert n == 1, n"
)


def log(message):
    print(f"[bench/run] {message}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_env(database_url, settings):
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "KEY_HASH_SECRET": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": database_url,
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def manage(env, *args):
    done = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode:
        sys.exit(f"manage.py {args[0]} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def prepare(env):
    """Migrate, collect static files, seed the demo data; return a valid key with a huge limit."""
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")  # whitenoise's manifest storage needs it
    manage(env, "seed_demo", "--password", secrets.token_urlsafe(16))
    key = manage(
        env, "create_api_key", "--project", "demo", "--environment", "production", "--name", "bench"
    ).strip()
    manage({**env, "BENCH_KEY": key}, "shell", "-c", RAISE_LIMIT)
    return key


def get(url, key=None):
    request = urllib.request.Request(url)
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def wait_until_up(base, server, deadline):
    while time.monotonic() < deadline:
        if server.poll() is not None:
            return False
        try:
            if get(f"{base}/livez")[0] == 200:
                return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


TICK = os.sysconf("SC_CLK_TCK")


def process_cpu(root, reaped=False):
    """CPU seconds (user + system) process `root` and its children have used so far; with
    `reaped`, also its children that have exited (PostgreSQL's postmaster waits for them)."""
    try:
        children = Path(f"/proc/{root}/task/{root}/children").read_text().split()
    except OSError:
        children = []
    total = 0
    for pid in [str(root), *children]:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
        if reaped and pid == str(root):
            total += int(fields[13]) + int(fields[14])  # cutime, cstime
    return total / TICK


def services_cpu():
    """CPU seconds of the database and Redis servers `python -m bench` started for this run
    (BENCH_SERVICE_PIDS), which serve verify's round trips: the work moves there, so it counts."""
    pids = os.environ.get("BENCH_SERVICE_PIDS", "").split()
    return sum(process_cpu(int(pid), reaped=True) for pid in pids)


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(text):
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * UNITS[unit]


def wrk(url, *, duration, threads, connections, server, key=None):
    """One wrk run; also the CPU time per request of the server and of wrk itself, which a
    busy machine does not inflate the way it cuts requests per second."""
    command = [WRK, f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency"]
    if key:
        command += ["-H", f"Authorization: Bearer {key}"]
    server_before, services_before = process_cpu(server.pid), services_cpu()
    wrk_before = children_cpu()
    out = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True, timeout=duration + 30
    ).stdout
    server_seconds = process_cpu(server.pid) - server_before
    services_seconds = services_cpu() - services_before
    wrk_seconds = children_cpu() - wrk_before
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not found:
        sys.exit(f"wrk printed no Requests/sec:\n{out}")
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.MULTILINE))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    return {
        "rps": float(found.group(1)),
        "server_cpu_us": server_seconds / requests * 1e6,
        "services_cpu_us": services_seconds / requests * 1e6,
        "wrk_cpu_us": wrk_seconds / requests * 1e6,
        "p50_ms": _ms(latency["50"]) if "50" in latency else None,
        "p99_ms": _ms(latency["99"]) if "99" in latency else None,
        "requests": requests,
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": errors.group(0) if errors else "",
    }


def bench(args, workdir):
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{workdir}/bench.sqlite3"
    engine = database_url.split(":", 1)[0]
    configuration = f"{engine} + redis" if os.environ.get("REDIS_URL") else engine
    env = production_env(database_url, args.settings)
    started = time.monotonic()
    load_before = os.getloadavg()
    log(f"preparing a {engine} database (migrate, collectstatic, seed_demo, create_api_key)")
    key = prepare(env)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server_log = workdir / "gunicorn.log"
    command = [
        GUNICORN,
        "--config",
        str(args.gunicorn_config),
        "--workers",
        str(args.workers),
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{port}",
    ]
    log(f"starting: gunicorn {' '.join(command[1:])} 2>{server_log}")
    with server_log.open("wb") as sink:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=sink, stderr=sink)
    try:
        if not wait_until_up(base, server, time.monotonic() + 20):
            sys.exit(f"gunicorn did not come up:\n{server_log.read_text()[-3000:]}")
        for path in args.verify_path:
            status, body = get(f"{base}{path}", key)
            if status != 200:
                sys.exit(f"{path} answered {status} for the bench key: {body[:300]!r}")
            status, _ = get(f"{base}{path}", "kd_live_" + "x" * 46)
            if status != 401:
                sys.exit(f"{path} answered {status} for a malformed key (expected 401)")

        targets = {"/livez": (f"{base}/livez", None)}
        targets.update({path: (f"{base}{path}", key) for path in args.verify_path})
        options = {"threads": args.threads, "connections": args.connections, "server": server}
        log(f"warming up ({args.warmup} s each)")
        for url, bearer in targets.values():
            wrk(url, duration=args.warmup, key=bearer, **options)
        runs = {name: [] for name in targets}
        for round_ in range(1, args.rounds + 1):
            for name, (url, bearer) in targets.items():
                result = wrk(url, duration=args.duration, key=bearer, **options)
                runs[name].append(result)
                log(
                    f"round {round_} {name:16}: {result['rps']:8.1f} req/s, "
                    f"p50 {result['p50_ms']:.2f} ms, p99 {result['p99_ms']:.2f} ms, CPU/request: "
                    f"server {result['server_cpu_us']:.0f} us, "
                    f"database and Redis {result['services_cpu_us']:.0f} us, "
                    f"wrk {result['wrk_cpu_us']:.0f} us, "
                    f"non-2xx {result['non_2xx']} {result['socket_errors']}"
                )
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()

    median = {name: statistics.median(r["rps"] for r in results) for name, results in runs.items()}
    floor = median.pop("/livez")
    cpu = {
        name: {
            part: statistics.median(r[f"{part[:-3]}_cpu_us"] for r in results)
            for part in ("server_us", "services_us", "wrk_us")
        }
        for name, results in runs.items()
    }
    livez_cpu = sum(cpu["/livez"].values())
    return {
        "database": engine,
        "configuration": configuration,
        "settings": args.settings,
        "gunicorn_config": str(args.gunicorn_config),
        "workers": args.workers,
        "wrk": f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s --latency",
        "rounds": args.rounds,
        "livez_rps": floor,
        "verify_rps": median,
        "ratio": {path: rps / floor for path, rps in median.items()},
        "cpu_per_request": cpu,
        # Requests per CPU-second, server, database, Redis and wrk together: the ratio a
        # machine with nothing else running would show, since they keep both cores busy.
        "cpu_ratio": {path: livez_cpu / sum(cpu[path].values()) for path in median},
        "round_ratios": {
            path: [v["rps"] / lz["rps"] for lz, v in zip(runs["/livez"], runs[path], strict=True)]
            for path in median
        },
        "non_2xx": {name: sum(r["non_2xx"] for r in results) for name, results in runs.items()},
        "runs": runs,
        "load_average": {"before": load_before, "after": os.getloadavg()},
        "seconds": time.monotonic() - started,
    }


def report(result):
    cpu = result["cpu_per_request"]

    def cpu_text(name):
        used = cpu[name]
        text = f"CPU/request: gunicorn {used['server_us']:4.0f} us, wrk {used['wrk_us']:3.0f} us"
        if used["services_us"]:
            text += f", database and Redis {used['services_us']:3.0f} us"
        return text

    lines = [
        f"HTTP ({result['configuration']}, {result['settings']}, gunicorn {result['workers']} sync"
        f" workers, {result['wrk']}, median of {result['rounds']} rounds):",
        f"  {'/livez':17} {result['livez_rps']:7.0f} req/s  {cpu_text('/livez')}",
    ]
    for path, rps in result["verify_rps"].items():
        lines.append(f"  {path:17} {rps:7.0f} req/s  {cpu_text(path)}")
    for path, ratio in result["ratio"].items():
        rounds = ", ".join(f"{r:.2f}" for r in result["round_ratios"][path])
        lines.append(
            f"  {path} / livez: {ratio:.2f} in req/s (rounds: {rounds}),"
            f" {result['cpu_ratio'][path]:.2f} in requests per CPU-second"
        )
    if any(result["non_2xx"].values()):
        lines.append(f"  WARNING: non-2xx answers during the runs: {result['non_2xx']}")
    load = result["load_average"]
    lines.append(
        f"  load average (1 min) before {load['before'][0]:.1f}, after {load['after'][0]:.1f}"
        f" on {os.cpu_count()} CPUs: above about 2, others share the machine and req/s suffer"
    )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2, help="livez+verify pairs (default 2)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per endpoint")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--settings", default="config.settings", help="DJANGO_SETTINGS_MODULE")
    parser.add_argument(
        "--gunicorn-config", type=Path, default=ROOT / "gunicorn.conf.py", help="gunicorn -c"
    )
    parser.add_argument(
        "--verify-path",
        action="append",
        help="an endpoint to load with the bench key (repeatable; default /v1/auth/verify)",
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    args.verify_path = args.verify_path or ["/v1/auth/verify"]
    try:
        subprocess.run([WRK, "--version"], capture_output=True, check=False)
    except FileNotFoundError:
        sys.exit("bench/run.py needs wrk: apt-get install -y wrk")

    with tempfile.TemporaryDirectory(prefix="keydesk-bench-") as tmp:
        result = bench(args, Path(tmp))
    print(report(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
