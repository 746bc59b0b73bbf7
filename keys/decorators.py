from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, overload

from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from environments.access import View
from keys.verification import Refusal, VerifiedKey, verify


class KeyRequest(HttpRequest):
    """A request a Keydesk key let through (`require_api_key`, the API's BearerKey)."""

    api_key: VerifiedKey


def refusal_response(refusal: Refusal) -> JsonResponse:
    response = JsonResponse(refusal.as_json(), status=refusal.status)
    for name, value in refusal.headers.items():
        response[name] = value
    return response


@overload
def require_api_key(view: View, *, permissions: Iterable[str] = ("read",)) -> View: ...
@overload
def require_api_key(
    view: None = None, *, permissions: Iterable[str] = ("read",)
) -> Callable[[View], View]: ...
def require_api_key(
    view: View | None = None, *, permissions: Iterable[str] = ("read",)
) -> View | Callable[[View], View]:
    """Protect a Django view with a Keydesk key, by exactly the verify endpoint's rules.

        @require_api_key(permissions=["write"])
        def upload(request: KeyRequest) -> HttpResponse: ...  # request.api_key: VerifiedKey

    Refusals answer with the contract's JSON error; every answer to a recognised key carries
    the RateLimit-* headers. A Refusal raised inside the view is answered the same way.
    """

    def decorator(view: View) -> View:
        @csrf_exempt  # a key, not a cookie, authenticates these requests
        @wraps(view)
        def wrapper(request: KeyRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            try:
                request.api_key = verify(request, tuple(permissions))
                response = view(request, *args, **kwargs)
            except Refusal as refusal:
                return refusal_response(refusal)
            for name, value in request.api_key.rate_limit_headers.items():
                response.setdefault(name, value)
            return response

        return wrapper

    return decorator(view) if view else decorator
