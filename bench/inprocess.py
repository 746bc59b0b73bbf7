"""Keydesk's `verify()` against djangorestframework-api-key 3.1's `is_valid`, in one process.

    .venv/bin/python bench/inprocess.py [--keys 1000] [--repeat 7] [--json FILE] [--profile]

1,000 keys each in a throwaway SQLite file (or DATABASE_URL, when set: a throwaway database),
settings `bench.settings` (production's plus `rest_framework_api_key`). Each timing pass calls
the verifier once for every key; the figure is the median pass, in microseconds per call.
Every key has been used once before timing (a "hot" key: its last use was written less than a
minute ago, as for any key in steady use).

Also: the queries a verification costs, and whole requests through Django's WSGI handler
(middleware, URL routing, the view, the response, closing the database connection as at the
end of every request): `/livez` against `/v1/auth/verify`. `--profile` prints cProfile's view
of the `/v1/auth/verify` requests.
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def interleaved(cases, repeat):
    """Microseconds per call of each case: {name: (best, median)} over `repeat` rounds.

    A case is (function, items); one pass calls function(item) for every item. The cases take
    turns, one pass each per round, so a busy machine slows them alike; the best pass is the
    least disturbed one (timeit's convention), the median shows the spread.
    """
    passes = {name: [] for name in cases}
    for _ in range(repeat):
        for name, (function, items) in cases.items():
            started = time.perf_counter()
            for item in items:
                function(item)
            passes[name].append((time.perf_counter() - started) / len(items) * 1e6)
    return {name: (min(p), statistics.median(p)) for name, p in passes.items()}


def setup_django(workdir):
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir}/inprocess.sqlite3")
    os.environ["SECRET_KEY"] = secrets.token_urlsafe(50)
    os.environ["KEY_HASH_SECRET"] = secrets.token_urlsafe(48)
    import django

    django.setup()


def make_keys(count):
    """`count` Keydesk keys in the demo production environment, and `count` drf-api-key keys."""
    from django.core.management import call_command
    from django.db import transaction
    from rest_framework_api_key.models import APIKey

    from environments.models import Environment
    from keys import tokens
    from keys.models import ApiKey, Kind, digest

    call_command("migrate", verbosity=0)
    call_command("seed_demo", password=secrets.token_urlsafe(16), stdout=io.StringIO())
    environment = (
        Environment.objects.filter(
            project__slug="demo",
            slug="production",
            project__organization__memberships__user__username="demo",
        )
        .order_by("pk")
        .first()
    )
    keydesk = [tokens.generate(environment.key_tag) for _ in range(count)]
    with transaction.atomic():
        # The rows ApiKey.issue makes, without an audit entry each; no rate limit to hit.
        ApiKey.objects.bulk_create(
            ApiKey(
                public_id=tokens.public_id(),
                environment=environment,
                organization_id=environment.project.organization_id,
                name=f"bench-{i}",
                kind=Kind.SERVICE,
                digest=digest(plaintext),
                hint=tokens.hint(plaintext),
                rate_limit=10**9,
            )
            for i, plaintext in enumerate(keydesk)
        )
        drf = [APIKey.objects.create_key(name=f"bench-{i}")[1] for i in range(count)]
    return keydesk, drf


def compare_verifiers(keydesk, drf, repeat):
    from django.test import RequestFactory
    from rest_framework_api_key.models import APIKey

    from keys.verification import verify

    factory = RequestFactory()
    requests = [
        factory.get("/v1/auth/verify", HTTP_AUTHORIZATION=f"Bearer {key}") for key in keydesk
    ]
    # Warm-up, and a check that every key is valid to both (this first use of each Keydesk
    # key also writes its last_used_at, as the first request of a minute does).
    assert all(verify(request).id for request in requests)
    assert all(APIKey.objects.is_valid(key) for key in drf)
    timed = interleaved(
        {"keydesk": (verify, requests), "drf": (APIKey.objects.is_valid, drf)}, repeat
    )
    (ours, ours_median), (theirs, theirs_median) = timed["keydesk"], timed["drf"]
    return {
        "keys": len(keydesk),
        "keydesk_us": ours,
        "keydesk_median_us": ours_median,
        "drf_api_key_us": theirs,
        "drf_api_key_median_us": theirs_median,
        "speedup": theirs / ours,
        "speedup_of_medians": theirs_median / ours_median,
    }


def count_queries(keydesk, drf):
    from django.db import connection
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext
    from rest_framework_api_key.models import APIKey

    from keys import tokens
    from keys.verification import Refusal, verify

    factory = RequestFactory()

    def request(header):
        return factory.get("/v1/auth/verify", HTTP_AUTHORIZATION=header)

    def queries(calls, header, refused):
        with CaptureQueriesContext(connection) as captured:
            for _ in range(calls):
                try:
                    verify(request(header))
                    assert not refused, header
                except Refusal as refusal:
                    assert refused == refusal.code, (header, refusal.code)
        return len(captured.captured_queries) / calls

    hot = keydesk[0]
    bad_checksum = hot[:-1] + ("0" if hot[-1] != "0" else "1")
    unknown = tokens.generate("live")
    with CaptureQueriesContext(connection) as captured:
        for key in drf[:100]:
            APIKey.objects.is_valid(key)
    return {
        "malformed_checksum": queries(100, f"Bearer {bad_checksum}", "malformed_api_key"),
        "malformed_shape": queries(100, "Bearer not-a-keydesk-key", "malformed_api_key"),
        "valid_hot_avg": queries(100, f"Bearer {hot}", None),
        "unknown_well_formed": queries(10, f"Bearer {unknown}", "invalid_api_key"),
        "drf_api_key_is_valid": len(captured.captured_queries) / 100,
    }


def wsgi_environ(path, key=None):
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if key:
        environ["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    return environ


def whole_requests(key, calls, repeat, profile):
    """Microseconds per request through the WSGI handler, as a gunicorn worker runs it."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection

    application = WSGIHandler()
    statuses = []

    def start_response(status, headers, exc_info=None):
        statuses.append(status)

    def call(environ):
        response = application({**environ, "wsgi.input": io.BytesIO()}, start_response)
        b"".join(response)
        response.close()  # request_finished: closes the connection unless CONN_MAX_AGE says not

    livez = wsgi_environ("/livez")
    verify = wsgi_environ("/v1/auth/verify", key)
    cases = {"livez": (call, [livez] * calls), "verify": (call, [verify] * calls)}
    for environ in [livez, verify] * 50:  # warm-up
        call(environ)
    timed = interleaved(cases, repeat)
    assert set(statuses) == {"200 OK"}, set(statuses)
    results = {name: best for name, (best, _) in timed.items()}
    results["configured_conn_max_age"] = connection.settings_dict["CONN_MAX_AGE"]
    connection.close()

    profiled = None
    if profile:
        profiler = cProfile.Profile()
        environ = verify
        profiler.enable()
        for _ in range(calls):
            call(environ)
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).strip_dirs()
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(45)
        profiled = out.getvalue()
    return results, profiled


def time_pieces(key, calls):
    """Best microseconds per call of each step of verify() for one hot key, timed apart."""
    from django.db import connection
    from django.test import RequestFactory
    from django.utils import timezone

    from keys.counters import counters
    from keys.models import candidate_digests
    from keys.verification import _datetime, lookup, lookup_sql, presented_key, record_use, verify

    request = RequestFactory().get("/v1/auth/verify", HTTP_AUTHORIZATION=f"Bearer {key}")
    verified = verify(request)
    digests = candidate_digests(key)
    sql = lookup_sql(len(digests), "%s", connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, digests)
        last_used_at = _datetime(cursor.fetchone()[11])

    def django_cursor(_):
        with connection.cursor() as cursor:
            cursor.execute(sql, digests)
            cursor.fetchone()

    def reconnect(_):
        connection.close()
        connection.ensure_connection()

    many = range(calls)
    counter = f"kd:use:{verified.pk}:bench"
    pieces = {
        "verify (whole)": (lambda _: verify(request), many),
        "presented_key (shape, CRC32)": (lambda _: presented_key(request), many),
        "candidate_digests (HMAC)": (lambda _: candidate_digests(key), many),
        "lookup() (the driver's cursor)": (lambda _: lookup(digests), many),
        "the same query, Django's cursor": (django_cursor, many),
        "counters.hit (window + use)": (
            lambda _: counters.hit(verified.pk, 10**9, use_counter=counter),
            many,
        ),
        "record_use (nothing to write)": (
            lambda _: record_use(verified.pk, last_used_at, timezone.now(), request),
            many,
        ),
        "open a DB connection": (reconnect, range(max(calls // 10, 1))),
    }
    timed = interleaved(pieces, 5)
    return {name: best for name, (best, _) in timed.items()}


def report(result):
    q, wsgi = result["queries"], result["wsgi_us"]
    lines = [
        f"In process ({result['database']}, {result['keys']} keys each; best pass, median in"
        " brackets):",
        f"  Keydesk verify()          {result['keydesk_us']:7.1f} us/call"
        f"  ({result['keydesk_median_us']:.1f})",
        f"  drf-api-key is_valid()    {result['drf_api_key_us']:7.1f} us/call"
        f"  ({result['drf_api_key_median_us']:.1f})",
        f"  Keydesk is faster by      {result['speedup']:7.1f} x"
        f"        ({result['speedup_of_medians']:.1f})   target >= 5",
        f"  queries per call: malformed key {q['malformed_checksum']:g} (bad checksum),"
        f" {q['malformed_shape']:g} (bad shape); valid hot key {q['valid_hot_avg']:g}"
        f" (average of 100); unknown key {q['unknown_well_formed']:g};"
        f" drf-api-key {q['drf_api_key_is_valid']:g}",
        "  verify() piece by piece, us/call:",
        *(f"    {name:34} {us:7.1f}" for name, us in result["pieces_us"].items()),
        "  whole requests through Django's WSGI handler, us/request"
        f" (CONN_MAX_AGE as configured: {wsgi['configured_conn_max_age']}):",
        f"    /livez                             {wsgi['livez']:7.0f}",
        f"    /v1/auth/verify                    {wsgi['verify']:7.0f}",
    ]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keys", type=int, default=1000, help="keys of each kind (default 1000)")
    parser.add_argument("--repeat", type=int, default=7, help="timing passes (default 7)")
    parser.add_argument("--requests", type=int, default=500, help="WSGI requests per pass")
    parser.add_argument("--profile", action="store_true", help="cProfile the verify requests")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="keydesk-inprocess-") as tmp:
        setup_django(tmp)
        from django.db import connection

        started = time.monotonic()
        keydesk, drf = make_keys(args.keys)
        result = {"database": connection.vendor}
        result.update(compare_verifiers(keydesk, drf, args.repeat))
        result["queries"] = count_queries(keydesk, drf)
        result["pieces_us"] = time_pieces(keydesk[1], 1000)
        result["wsgi_us"], profiled = whole_requests(
            keydesk[2], args.requests, max(3, args.repeat // 2), args.profile
        )
        result["seconds"] = time.monotonic() - started
        connection.close()

    print(report(result))
    if profiled:
        print(profiled)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
