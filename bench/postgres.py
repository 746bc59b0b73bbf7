"""A throwaway PostgreSQL 15 cluster on 127.0.0.1 for `make bench BENCH_ARGS=--postgres`.

As in ../shared/TOOLCHAIN.md: run as root (PostgreSQL itself runs as `postgres`), fsync off,
trust authentication on loopback only, removed when the bench ends.
"""

import contextlib
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_postgres(*command):
    subprocess.run(["runuser", "-u", "postgres", "--", *command], check=True, capture_output=True)


@contextlib.contextmanager
def throwaway_cluster():
    """Yield a DATABASE_URL for a fresh database and the postmaster's pid; stop and delete the
    cluster afterwards."""
    if not (PG_BIN / "initdb").exists():
        raise SystemExit(f"--postgres needs PostgreSQL 15 in {PG_BIN} (apt-get install postgresql)")
    workdir = Path(tempfile.mkdtemp(prefix="keydesk-bench-pg-"))
    shutil.chown(workdir, "postgres", "postgres")
    data, port = workdir / "data", _free_port()
    started = False
    try:
        _as_postgres(
            str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"
        )
        _as_postgres(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(workdir / "log"),
            "-o",
            f"-h 127.0.0.1 -p {port} -k {workdir} -c fsync=off",
            "-w",
            "start",
        )
        started = True
        subprocess.run(
            [
                *("psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-q"),
                *("-c", "CREATE ROLE bench LOGIN PASSWORD 'bench' CREATEDB"),
                *("-c", "CREATE DATABASE bench OWNER bench"),
            ],
            check=True,
            capture_output=True,
        )
        postmaster = int((data / "postmaster.pid").read_text().split()[0])
        yield f"postgres://bench:bench@127.0.0.1:{port}/bench", postmaster
    finally:
        if started:
            _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(workdir, ignore_errors=True)
