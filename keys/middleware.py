"""Every answer under /v1/ is JSON in the contract's error shape, whoever produced it.

django-ninja renders what reaches its handlers (keys/api.py), and config/urls.py ends /v1/ with
a catch-all 404. What neither sees is answered here: a 405 (ninja's, and `require_safe`'s on
`/v1/auth/verify`, routed ahead of the router), a body over DATA_UPLOAD_MAX_MEMORY_SIZE (Django
raises it on reading `request.body`, and would answer an HTML 400), and any other HTML page
(a 400 for a bad Host header, a 500). Clients generated from the schema then never meet a
body they cannot decode.
"""

from collections.abc import Callable
from http import HTTPStatus

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponseBase, JsonResponse

from config.outages import DATABASE_ERRORS, database_unavailable

API_PREFIX = "/v1/"
CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "request_too_large",
    415: "unsupported_media_type",
    500: "internal_error",
}
# Headers of the replaced answer worth keeping: what to do next (Allow, Retry-After, ...), and
# the security headers the middleware inside this one set on every answer.
KEPT = (
    *("Allow", "Retry-After", "WWW-Authenticate", "Cache-Control", "Vary"),
    *("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options"),
    *("Referrer-Policy", "Cross-Origin-Opener-Policy", "Strict-Transport-Security"),
)


def api_error(status: int, code: str | None = None, message: str | None = None) -> JsonResponse:
    """A JsonResponse in the error shape of DESIGN.md section 5."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    code = code or CODES.get(status, "error")
    return JsonResponse(
        {"error": {"code": code, "message": message or f"{phrase}."}}, status=status
    )


MESSAGES = {
    404: "No such path in this API; see /v1/docs.",
    405: "This method is not allowed here.",
}


def is_json(response: HttpResponseBase) -> bool:
    return response.get("Content-Type", "").split(";")[0].strip() == "application/json"


class JsonErrorsMiddleware:
    """Outermost under /v1/, so it also sees what other middleware answered."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if (
            response.status_code < 400
            or is_json(response)
            or not request.path_info.startswith(API_PREFIX)
        ):
            return response
        status = response.status_code
        message: str | None
        if status == 405:
            allowed = response.get("Allow", "")
            message = f"Use {allowed} here." if allowed else MESSAGES[405]
        else:
            message = MESSAGES.get(status)
        replaced = api_error(status, message=message)
        for name in KEPT:
            if name in response:
                replaced[name] = response[name]
        return replaced

    def process_exception(self, request: HttpRequest, exception: Exception) -> JsonResponse | None:
        if isinstance(exception, RequestDataTooBig) and request.path_info.startswith(API_PREFIX):
            return api_error(413, message="The request body is too large.")
        return None


VERIFY_PATH = "/v1/auth/verify"


class VerifyLaneMiddleware:
    """`/v1/auth/verify` straight to its view, past the middleware below this one.

    Verification sits in front of every request of a team's services, and a key, not a
    session, authenticates it: sessions, users, CSRF, messages, htmx, account set-up and
    django-axes have nothing to do for it, and cost about as much as the verification itself.
    The middleware above this one (JSON errors, security headers, CommonMiddleware, framing,
    CSP) answers it as it answers every request; a database outage is the same 503 as
    DatabaseOutageMiddleware's.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        from keys.api import verify_endpoint  # the view imports this module

        self.get_response = get_response
        self.verify = verify_endpoint

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.path_info != VERIFY_PATH:
            return self.get_response(request)
        try:
            return self.verify(request)
        except DATABASE_ERRORS as error:
            return database_unavailable(request, error)
