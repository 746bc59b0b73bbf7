"""A real gunicorn serving the test database, for tests that need separate processes."""

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent

# Set before each test by tests/conftest.py: only tests marked `process` may start one, so
# `make test-fast` (`-m "not process"`) never pays for a process by mistake.
processes_allowed = True


def starting(what):
    if not processes_allowed:
        raise RuntimeError(f"this test starts {what}: mark it `pytest.mark.process`")


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is an answer to look at, not to follow


opener = urllib.request.build_opener(NoRedirects)


def database_url():
    """The test database (which the suite has created and fills), as a DATABASE_URL."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def gunicorn(workers=2, log_path=None, options=(), env=None):
    """Serve Keydesk with `workers` sync workers; yields (base_url, path of the log)."""
    starting("gunicorn")
    port = free_port()
    log_path = log_path or Path(os.environ.get("TMPDIR", "/tmp")) / f"gunicorn-{port}.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url(),
        "DJANGO_ALLOW_ASYNC_UNSAFE": "",
        **(env or {}),
    }
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--timeout",
                "30",
                *options,
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with opener.open(base + "/livez", timeout=2):
                    break
            except urllib.error.HTTPError:  # any answer (a redirect to https) means it is up
                break
            except OSError:  # refused, reset, or a slow first answer while workers boot
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "gunicorn did not start:\n" + Path(log_path).read_text()
                    ) from None
                time.sleep(0.1)
        yield base, Path(log_path)
    finally:
        process.terminate()
        process.wait(timeout=30)


def get(url, headers=None):
    """(status, headers, body) of a GET, whatever the status; redirects are not followed."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


@contextlib.contextmanager
def redis_server(port=None):
    """A throwaway Redis on 127.0.0.1 (Debian's redis-server), nothing kept; yields its URL.

    Give the port of one stopped earlier to bring "the same" Redis back after an outage."""
    starting("redis-server")
    port = port or free_port()
    process = subprocess.Popen(
        [
            "/usr/bin/redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


PG_BIN = Path("/usr/lib/postgresql/15/bin")


class Cluster:
    """A throwaway PostgreSQL cluster this test owns: it may stop and start it at will."""

    def __init__(self, directory, port):
        self.directory, self.port = Path(directory), port
        # PostgreSQL refuses to run as root.
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def pg_ctl(self, *args):
        subprocess.run(
            [*self.as_postgres, str(PG_BIN / "pg_ctl"), "-D", str(self.directory / "data"), *args],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self):
        options = f"-h 127.0.0.1 -p {self.port} -k {self.directory} -c fsync=off"
        self.pg_ctl("-l", str(self.directory / "log"), "-o", options, "-w", "start")

    def stop(self):
        self.pg_ctl("-m", "fast", "-w", "stop")

    def psql(self, sql, database="postgres"):
        subprocess.run(
            [
                str(PG_BIN / "psql"),
                *("-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database),
                *("-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql),
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def url(self, database="app"):
        return f"postgres://app:app@127.0.0.1:{self.port}/{database}"


@contextlib.contextmanager
def postgres_cluster():
    """initdb, start on a free port, a role `app` owning a database `app`; removed after."""
    starting("postgresql")
    directory = Path(tempfile.mkdtemp(prefix="keydesk-pg-"))
    cluster = Cluster(directory, free_port())
    try:
        if os.geteuid() == 0:
            shutil.chown(directory, "postgres", "postgres")
        subprocess.run(
            [
                *cluster.as_postgres,
                str(PG_BIN / "initdb"),
                *("-D", str(directory / "data"), "-U", "postgres", "--auth=trust"),
                *("-E", "UTF8", "--locale=C.UTF-8"),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        cluster.start()
        cluster.psql("CREATE ROLE app LOGIN PASSWORD 'app' CREATEDB")
        cluster.psql("CREATE DATABASE app OWNER app")
        yield cluster
    finally:
        with contextlib.suppress(subprocess.SubprocessError):
            cluster.pg_ctl("-m", "immediate", "-w", "stop")
        shutil.rmtree(directory, ignore_errors=True)


def manage(*args, database_url, stdin=None):
    """Run a manage.py command against `database_url`; its stdout."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": database_url}
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def send(url, body=b"", method="POST", headers=None):
    """(status, headers, body) of a request with a body, whatever the status."""
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        headers = {"Content-Type": "application/json", **(headers or {})}
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


class OidcProvider:
    """tests/oidc_provider.py in its own process: `url` is its issuer."""

    client_id, client_secret = "keydesk-test", "keydesk-test-secret"

    def __init__(self, url):
        self.url = url

    def approve(self, **claims):
        """Who the provider signs in next (sub, email, email_verified, name, ...)."""
        status, _, body = send(f"{self.url}/control/user", claims)
        assert status == 204, body

    def deny(self):
        """The next sign-in is cancelled at the provider (`access_denied`)."""
        self.approve(deny=True)

    def settings(self, name="Example SSO"):
        """SOCIALACCOUNT_PROVIDERS for it, as config.settings builds them from OIDC_*."""
        app = {
            "provider_id": "sso",
            "name": name,
            "client_id": self.client_id,
            "secret": self.client_secret,
            "settings": {"server_url": self.url},
        }
        return {"openid_connect": {"APPS": [app], "OAUTH_PKCE_ENABLED": True}}


@contextlib.contextmanager
def oidc_provider():
    starting("an OpenID Connect provider")
    process = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "tests" / "oidc_provider.py"),
            OidcProvider.client_id,
            OidcProvider.client_secret,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        port = process.stdout.readline().strip()
        if not port.isdigit():
            raise RuntimeError("the OpenID Connect provider did not start")
        yield OidcProvider(f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        process.wait(timeout=10)
