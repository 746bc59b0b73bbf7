"""The key lists at 100,000 keys: /keys/, an environment's keys tab and GET /v1/api-keys.

    .venv/bin/python bench/key_lists.py [--keys 100000] [--others 20000] [--repeat 15] [--postgres]

Runs in a throwaway test database (as bench/audit_review.py does), filled in bulk: one
organization with 2 projects of 2 environments each and `--keys` keys created over a year
(a tenth of them in batches that share one creation time), in every state the filters ask
about; and a second organization with `--others` keys, so the first one's lists must skip
nothing of another tenant's. Then it times the first page and a deep one (90% down, by
cursor) of each list, filtered and not, through Django's test client: the query count and
the time stay the same however deep the page. `--explain` prints each list query's plan.
"""

import argparse
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.audit_review import setup_django, timed  # noqa: E402

BATCH = 5000


def fill(organization, environments, count, *, by, rng):
    """`count` keys over the last year, newest last; returns the seconds it took."""
    from django.db import transaction
    from django.utils import timezone

    from keys.models import ApiKey, Kind

    started, now = time.perf_counter(), timezone.now()
    moment = now
    for first in range(0, count, BATCH):
        rows = []
        for n in range(first, min(first + BATCH, count)):
            if rng.random() > 0.1:  # else: the same instant as the key before (a tie)
                moment = now - timedelta(seconds=rng.uniform(0, 365 * 86400))
            used = rng.random()
            rows.append(
                ApiKey(
                    public_id=f"key_{organization.pk:02d}{n:014d}",
                    organization=organization,
                    environment=rng.choice(environments),
                    name=f"service {n}",
                    created_by=by,
                    kind=rng.choice([Kind.PERSONAL, Kind.SERVICE]),
                    digest=f"{organization.pk:04d}{n:060d}",
                    hint=f"kd_test_{n:04d}…{n % 9999:04d}",
                    created_at=moment,
                    last_used_at=None if used < 0.3 else now - timedelta(days=used * 90),
                    expires_at=rng.choice([None, None, now + timedelta(days=rng.randint(1, 400))]),
                    revoked_at=now - timedelta(days=1) if rng.random() < 0.2 else None,
                )
            )
        with transaction.atomic():
            # created_at is auto_now_add: bulk_create stamps now on every row; set it after.
            moments = [row.created_at for row in rows]
            made = ApiKey.objects.bulk_create(rows)
            for key, created_at in zip(made, moments, strict=True):
                key.created_at = created_at
            ApiKey.objects.bulk_update(made, ["created_at"], batch_size=1000)
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=100_000)
    parser.add_argument("--others", type=int, default=20_000, help="keys of another tenant")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL cluster")
    parser.add_argument("--explain", action="store_true", help="print each list query's plan")
    args = parser.parse_args()
    from bench.postgres import run_on

    return run_on(args, run)


def run(args):
    setup_django()
    import django
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import (
        CaptureQueriesContext,
        setup_test_environment,
        teardown_test_environment,
    )

    from config.pagination import OLDER
    from environments.models import (
        create_environment,
        create_organization,
        create_project,
        set_tags,
    )
    from keys.models import NEWEST_FIRST, ApiKey, issue_api_key

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        rng = random.Random(14)
        print(f"Django {django.get_version()} on {connection.vendor}; filling {args.keys:,} keys…")
        admin = User.objects.create_user("admin", password="bench-only")
        organization = create_organization(name="Big", admin=admin)
        environments = [
            create_environment(project=project, name=name, by=admin)
            for project in (
                create_project(organization=organization, name=f"Project {p}", by=admin)
                for p in range(2)
            )
            for name in ("development", "production")
        ]
        set_tags(environment=environments[1], tags={"team": "payments"}, by=admin)
        seconds = fill(organization, environments, args.keys, by=admin, rng=rng)
        print(f"  {args.keys:,} keys in {seconds:.1f} s; {args.others:,} of another tenant…")
        other = User.objects.create_user("other", password="bench-only")
        neighbour = create_organization(name="Next door", admin=other)
        project = create_project(organization=neighbour, name="Theirs", by=other)
        fill(
            neighbour,
            [create_environment(project=project, name="dev", by=other)],
            args.others,
            by=other,
            rng=rng,
        )
        _, manager = issue_api_key(environment=environments[0], name="bench", by=admin, manage=True)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")

        def deep(keys, scope):
            """The cursor of the page 90% down `keys`, as the page before it links it."""
            ordered = keys.order_by("-created_at", "-id")
            return NEWEST_FIRST.cursor(OLDER, ordered[int(ordered.count() * 0.9)], scope)

        everyone = ApiKey.objects.for_organization(organization)
        env = environments[0]
        tab = f"/projects/{env.project.slug}/environments/{env.slug}/keys/"
        org_deep = deep(everyone, f"organization-{organization.pk}")
        active = everyone.active()
        active_deep = deep(active, f"organization-{organization.pk}")
        api_deep = deep(
            everyone.filter(environment__project=env.project), f"project-{env.project_id}"
        )
        tab_deep = deep(env.api_keys.all(), f"environment-{env.pk}")
        htmx = {"HTTP_HX_REQUEST": "true"}
        api = {"HTTP_AUTHORIZATION": f"Bearer {manager}"}
        cases = [
            ("all keys: first page", "/keys/", {}, {}),
            ("all keys: deep page (90% down)", "/keys/", {"cursor": org_deep}, {}),
            ("all keys: deep page, htmx table", "/keys/", {"cursor": org_deep}, htmx),
            ("all keys: active", "/keys/", {"status": "active"}, {}),
            ("all keys: active, deep", "/keys/", {"status": "active", "cursor": active_deep}, {}),
            ("all keys: never used, no expiry", "/keys/", {"use": "never", "expiry": "none"}, {}),
            ("all keys: expiring within 7 days", "/keys/", {"expiry": "soon"}, {}),
            ("all keys: tag team=payments", "/keys/", {"tag": "team=payments"}, {}),
            ("all keys: environment", "/keys/", {"environment": env.pk}, {}),
            ("all keys: search, one match", "/keys/", {"q": "service 4242"}, {}),
            ("keys tab: first page", tab, {}, {}),
            ("keys tab: deep page (90% down)", tab, {"cursor": tab_deep}, {}),
            ("keys tab: deep page, htmx table", tab, {"cursor": tab_deep}, htmx),
            ("GET /v1/api-keys: first page", "/v1/api-keys", {}, api),
            ("GET /v1/api-keys: deep page", "/v1/api-keys", {"cursor": api_deep}, api),
        ]
        client = Client()
        client.force_login(admin)
        client.get("/keys/")  # the session settles on its organization
        print(
            f"\n{args.keys:,} keys in one organization, {args.others:,} next door "
            f"(median of {args.repeat}, Django test client):\n"
        )
        print("| list | request ms | of which SQL ms | queries |")
        print("| --- | ---: | ---: | ---: |")
        for label, url, params, headers in cases:
            client.get(url, params, **headers)  # a key's first use writes its last use once
            ms, db_ms, queries = timed(client, url, params, args.repeat, **headers)
            print(f"| {label} | {ms:.1f} | {db_ms:.1f} | {queries} |")
        if args.explain and connection.vendor == "postgresql":
            for label, url, params, headers in cases:
                with CaptureQueriesContext(connection) as queries:
                    client.get(url, params, **headers)
                page_query = next(q["sql"] for q in queries if "LIMIT 51" in q["sql"])
                with connection.cursor() as cursor:
                    cursor.execute(f"EXPLAIN ANALYZE {page_query}")
                    plan = "\n".join(row[0] for row in cursor.fetchall())
                print(f"\n{label}:\n{plan}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    main()
