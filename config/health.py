"""Health checks for load balancers: no sign-in, no session, no CSRF."""

from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from config.outages import brief_locks


@require_safe
@never_cache
def livez(request: HttpRequest) -> JsonResponse:
    """The process is up and serving. No I/O."""
    return JsonResponse({"status": "ok"})


def database_reads() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return False
    return True


def database_writes() -> bool:
    """A write that changes nothing: refused by a read-only database or a full standby."""
    try:
        with brief_locks(), connection.cursor() as cursor:
            cursor.execute("UPDATE django_migrations SET app = app WHERE id IS NULL")
    except DatabaseError as error:
        # Busy is not down: another writer holding SQLite's lock for a moment.
        return "locked" in str(error)
    return True


def cache_answers() -> bool:
    try:
        cache.set("kd:readyz", 1, timeout=5)
        return cache.get("kd:readyz") == 1
    except Exception:  # whatever the cache's client raises, the answer is no
        return False


@require_safe
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """503 when the database cannot be read: this host can do nothing useful. 200 "degraded"
    when only the shared cache or database writes fail: keys still verify, so taking every
    host out of the load balancer at once would turn a partial outage into a full one."""
    failing = []
    if not database_reads():
        failing.append("database")
    elif not database_writes():
        failing.append("database_writes")
    if not cache_answers():
        failing.append("cache")
    if "database" in failing:
        return JsonResponse({"status": "unavailable", "failing": failing}, status=503)
    if failing:
        return JsonResponse({"status": "degraded", "failing": failing})
    return JsonResponse({"status": "ok"})
