"""Health checks for load balancers: no sign-in, no session, no CSRF."""

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@require_safe
@never_cache
def livez(request):
    """The process is up and serving. No I/O."""
    return JsonResponse({"status": "ok"})


@require_safe
@never_cache
def readyz(request):
    """The database and the cache answer; 503 naming what does not."""
    failing = []
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        failing.append("database")
    try:
        cache.set("kd:readyz", 1, timeout=5)
        if cache.get("kd:readyz") != 1:
            failing.append("cache")
    except Exception:
        failing.append("cache")
    if failing:
        return JsonResponse({"status": "unavailable", "failing": failing}, status=503)
    return JsonResponse({"status": "ok"})
