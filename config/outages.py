"""What Keydesk answers when its database cannot be reached (DESIGN.md section 10).

Under /v1/ a 503 in the API's error shape, elsewhere a plain 503 page; both with Retry-After,
never a traceback or a 500. Rendered without the request's context: the context processors
would ask the unreachable database for the signed-in user.
"""

import contextlib
import logging
import sys
from collections.abc import Callable, Iterator

from django.db import InterfaceError, InternalError, OperationalError, connection, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.template.loader import render_to_string
from django.views import defaults

logger = logging.getLogger(__name__)

# What the drivers raise when the server is down, restarting, unreachable, read-only or locked.
DATABASE_ERRORS = (OperationalError, InterfaceError, InternalError)
RETRY_AFTER = "5"
LOCK_WAIT_MS = 200


def database_unavailable(request: HttpRequest, error: BaseException) -> HttpResponse:
    logger.warning("Database unavailable for %s: %s: %s", request.path, type(error).__name__, error)
    response: HttpResponse
    if request.path.startswith("/v1/"):
        body = {
            "error": {
                "code": "service_unavailable",
                "message": "Keydesk cannot reach its database. Retry after a few seconds.",
            }
        }
        response = JsonResponse(body, status=503)
    else:
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = RETRY_AFTER
    return response


class DatabaseOutageMiddleware:
    """Turns a database outage met by a view into the 503 answer."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DATABASE_ERRORS):
            return database_unavailable(request, exception)
        return None


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: an outage met outside a view (a middleware saving the session) is a 503 too."""
    error = sys.exc_info()[1]
    if isinstance(error, DATABASE_ERRORS):
        return database_unavailable(request, error)
    return defaults.server_error(request)


@contextlib.contextmanager
def brief_locks() -> Iterator[None]:
    """One transaction that waits at most LOCK_WAIT_MS for a lock, for writes that must never
    stall a request (a verification's side writes, the readiness probe)."""
    if connection.vendor == "sqlite":
        # SQLite's wait is per connection: shorten it around this transaction only.
        timeout = connection.settings_dict.get("OPTIONS", {}).get("timeout", 5)
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA busy_timeout = {LOCK_WAIT_MS}")
        try:
            with transaction.atomic():
                yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
    else:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_WAIT_MS}ms'")
            yield
