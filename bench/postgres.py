"""A throwaway PostgreSQL 15 cluster on 127.0.0.1 for `make bench BENCH_ARGS=--postgres`: the
suite's own (tests/server.py `postgres_cluster`: fsync off, trust authentication on loopback
only, run as `postgres` when started as root), removed when the bench ends.
"""

import contextlib
import os

from tests.server import PG_BIN, postgres_cluster


@contextlib.contextmanager
def throwaway_cluster():
    """Yield a DATABASE_URL for a fresh database and the postmaster's pid; stop and delete the
    cluster afterwards."""
    if not (PG_BIN / "initdb").exists():
        raise SystemExit(f"--postgres needs PostgreSQL 15 in {PG_BIN} (apt-get install postgresql)")
    with postgres_cluster() as cluster:
        # The postmaster's pid: the bench counts its CPU (and its backends') per request.
        postmaster = int((cluster.directory / "data" / "postmaster.pid").read_text().split()[0])
        yield cluster.url(), postmaster


def run_on(args, run):
    """`run(args)`, against a throwaway cluster's database when `args.postgres` asks for one."""
    if not args.postgres:
        return run(args)
    with throwaway_cluster() as (url, _):
        os.environ["DATABASE_URL"] = url
        return run(args)
