"""The audit review page at 100,000 events: page times and query counts, exports, verification.

    .venv/bin/python bench/audit_review.py [--events 100000] [--repeat 15] [--postgres]

Runs in a throwaway test database (Django's test-database machinery: `test_…` next to
DATABASE_URL's database, or a temporary SQLite file), which it fills through `audit.record()`
itself, as the application does, with a clock spread over a year: one organization, 5 members,
2 projects with 2 environments each, 40 keys, and a mix of actions and actors. Then it times
the review page (first page, a deep page, filtered pages, search, htmx) through Django's test
client, the two exports, and `Verify chain`. `--postgres` starts a throwaway PostgreSQL 15
cluster (bench/postgres.py) and runs there.
"""

import argparse
import os
import random
import statistics
import sys
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()


BATCH = 1000
ACTIONS = {  # action: weight
    "sign_in": 30,
    "sign_out": 10,
    "key_created": 10,
    "key_updated": 10,
    "key_rotated": 5,
    "key_revoked": 5,
    "sign_in_failed": 5,
    "key_expired": 2,
    "audit_exported": 1,
}


def random_event(rng, organization, members, keys):
    """record()'s arguments for one plausible event."""
    action = rng.choices(list(ACTIONS), list(ACTIONS.values()))[0]
    fields = {"action": action, "organization": organization}
    if action in ("sign_in", "sign_out", "audit_exported"):
        return fields | {"actor": rng.choice(members)}
    if action == "sign_in_failed":
        name = rng.choice(["root", "admin", "member1"])
        return fields | {"actor_name": name, "metadata": {"username": name}}
    key = rng.choice(keys)
    fields |= {
        "actor": rng.choice([*members, key, None]),
        "target": key,
        "project": key.environment.project_id,
        "environment": key.environment,
        "metadata": {"hint": key.hint},
    }
    if action == "key_updated":
        fields["metadata"] |= {
            "before": {"rate_limit": rng.randint(1, 999)},
            "after": {"rate_limit": rng.randint(1, 999)},
        }
    return fields


def fill(total, seed=7):
    """An organization with `total` events over the past year.

    Returns (organization, admin, facts to filter on, (events written, seconds)).
    """
    from django.contrib.auth.models import User
    from django.db import transaction
    from django.db.models import QuerySet
    from django.utils import timezone

    from audit.chain import new_event
    from audit.models import AuditEvent, ChainHead
    from environments.models import (
        Membership,
        Role,
        create_environment,
        create_organization,
        create_project,
    )
    from keys.models import issue_api_key

    rng = random.Random(seed)
    admin = User.objects.create_user("bench-admin", password="bench-admin-password")
    organization = create_organization(name="Bench", admin=admin)
    members = [admin]
    for n in range(4):
        user = User.objects.create_user(f"member{n}")
        Membership.objects.create(organization=organization, user=user, role=Role.MEMBER)
        members.append(user)
    environments = []
    for name in ("Payments", "Search"):
        project = create_project(organization=organization, name=name, by=admin)
        for env in ("development", "production"):
            environments.append(
                create_environment(
                    project=project, name=env, is_production=env == "production", by=admin
                )
            )
    keys = [
        issue_api_key(environment=rng.choice(environments), name=f"service {n:02d}", by=admin)[0]
        for n in range(40)
    ]
    remaining = total - AuditEvent.objects.for_organization(organization).count()
    moment = timezone.now() - timedelta(days=365)
    step = timedelta(days=364) / remaining

    started = time.perf_counter()
    done = 0
    while done < remaining:
        batch = min(BATCH, remaining - done)
        with transaction.atomic():
            # record()'s lock and chaining, a thousand events per INSERT: the model refuses
            # bulk_create (nothing in the application appends around record()), so the bench
            # calls Django's own. `Verify chain` below walks the result.
            head, _ = ChainHead.objects.select_for_update().get_or_create(
                chain=ChainHead.name_for(organization.pk)
            )
            prev_hash, events = head.last_hash, []
            for _ in range(batch):
                event = new_event(**random_event(rng, organization, members, keys))
                moment += step
                event.created_at = moment
                event.prev_hash = prev_hash
                event.hash = prev_hash = event.compute_hash()
                events.append(event)
            QuerySet.bulk_create(AuditEvent.objects.all(), events)
            ChainHead.objects.filter(pk=head.pk).update(last_hash=prev_hash)
        done += batch
        if done % 20000 == 0 or done == remaining:
            print(f"  filled {done:,}/{remaining:,}", file=sys.stderr, flush=True)
    facts = {"keys": keys, "environments": environments, "members": members}
    return organization, admin, facts, (remaining, time.perf_counter() - started)


class SqlClock:
    """Counts the queries a request makes and the time they spend in the database."""

    def __init__(self):
        self.count, self.seconds = 0, 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.count += 1
            self.seconds += time.perf_counter() - started


def timed(client, url, params, repeat, **headers):
    """(median ms of the whole request, median ms inside the database, query count)."""
    from django.db import connection

    total, in_db, counts = [], [], set()
    for _ in range(repeat + 1):  # the first one warms up
        sql = SqlClock()
        with connection.execute_wrapper(sql):
            started = time.perf_counter()
            response = client.get(url, params, **headers)
            total.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, params, response.status_code)
        in_db.append(sql.seconds * 1000)
        counts.add(sql.count)
    assert len(counts) == 1, counts
    return statistics.median(total[1:]), statistics.median(in_db[1:]), counts.pop()


def explain(organization, params):
    """The plan of the page's events query (PostgreSQL: EXPLAIN ANALYZE)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from audit.forms import EventFilterForm
    from audit.models import NEWEST_FIRST, AuditEvent

    form = EventFilterForm(params)
    assert form.is_valid(), form.errors
    events = AuditEvent.objects.for_organization(organization).matching(**form.filters())
    with CaptureQueriesContext(connection) as queries:
        NEWEST_FIRST.page(events, params.get("cursor", ""), scope=organization.pk)
    with connection.cursor() as cursor:
        cursor.execute(f"{connection.ops.explain_query_prefix(analyze=True)} {queries[0]['sql']}")
        return "\n".join(row[0] for row in cursor.fetchall())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL cluster")
    parser.add_argument("--explain", action="store_true", help="print each events query's plan")
    args = parser.parse_args()
    from bench.postgres import run_on

    return run_on(args, run)


def run(args):
    setup_django()
    import django
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    from audit.models import NEWEST_FIRST, AuditEvent, ChainHead
    from config.pagination import OLDER

    # The suite's client: its force_login is a sign-in a moment ago, as exports ask for one.
    from tests.conftest import Client

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        vendor = connection.vendor
        print(f"Django {django.get_version()} on {vendor}; filling {args.events:,} events…")
        organization, admin, facts, (filled, fill_seconds) = fill(args.events)
        total = AuditEvent.objects.for_organization(organization).count()
        print(
            f"  {filled:,} events chained and inserted in {fill_seconds:.1f} s "
            f"({filled / fill_seconds:,.0f} events/s, {BATCH:,} per transaction)"
        )
        if vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE audit_auditevent")

        client = Client()
        client.force_login(admin)
        client.get("/audit/")  # the session settles on its organization
        newest = list(
            AuditEvent.objects.for_organization(organization)
            .order_by("-id")
            .values_list("id", flat=True)
        )
        key = facts["keys"][3]
        member = facts["members"][2]
        environment = facts["environments"][1]
        # The cursor of page 1,800 of 2,000, as the page before it links it.
        deep_event = AuditEvent.objects.get(pk=newest[int(len(newest) * 0.9)])
        deep = NEWEST_FIRST.cursor(OLDER, deep_event, organization.pk)
        htmx = {"HTTP_HX_REQUEST": "true"}
        cases = [
            ("first page", {}, {}),
            ("deep page (90% down, by cursor)", {"cursor": deep}, {}),
            ("filtered: action", {"action": "key_revoked"}, {}),
            ("filtered: action, deep", {"action": "key_revoked", "cursor": deep}, {}),
            ("filtered: actor (a member)", {"actor": f"user:{member.pk}"}, {}),
            ("filtered: environment", {"environment": environment.pk}, {}),
            ("filtered: target key", {"key": key.public_id}, {}),
            (
                "filtered: one month, months ago",
                {"since": day(newest_date(120)), "until": day(newest_date(90))},
                {},
            ),
            ("search: target name, common", {"q": "service"}, {}),
            ("search: target name, one key", {"q": "service 17"}, {}),
            ("search: no match", {"q": "nothing like this"}, {}),
            ("htmx table: deep page", {"cursor": deep}, htmx),
        ]
        print(
            f"\nReview page, {total:,} events in the organization "
            f"(median of {args.repeat}, Django test client):\n"
        )
        print("| view | request ms | of which SQL ms | queries |")
        print("| --- | ---: | ---: | ---: |")
        for label, params, headers in cases:
            ms, db_ms, queries = timed(client, "/audit/", params, args.repeat, **headers)
            print(f"| {label} | {ms:.1f} | {db_ms:.1f} | {queries} |")
        if args.explain:
            for label, params, _ in cases:
                print(f"\n{label}: {params}\n{explain(organization, params)}")

        print("\nExports and verification:\n")
        print("| what | seconds | notes |")
        print("| --- | ---: | --- |")
        for fmt in ("csv", "jsonl"):
            started = time.perf_counter()
            response = client.post(f"/audit/export.{fmt}")
            size = sum(len(chunk) for chunk in response.streaming_content)
            seconds = time.perf_counter() - started
            tracemalloc.start()
            response = client.post(f"/audit/export.{fmt}")
            for _ in response.streaming_content:
                pass
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            print(
                f"| export.{fmt}, every event | {seconds:.2f} | {size / 1e6:.1f} MB "
                f"streamed; peak Python memory {peak / 1e6:.1f} MB |"
            )
        started = time.perf_counter()
        response = client.post("/audit/verify/", **htmx)
        seconds = time.perf_counter() - started
        head = ChainHead.for_organization(organization.pk)
        assert head.verified_intact, head.verified_problem
        print(
            f"| Verify chain (whole chain) | {seconds:.2f} | {head.verified_events:,} "
            "events, intact |"
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


def newest_date(days_ago):
    from django.utils import timezone

    return timezone.now() - timedelta(days=days_ago)


def day(moment):
    return moment.date().isoformat()


if __name__ == "__main__":
    main()
