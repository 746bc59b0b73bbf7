from functools import wraps

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from keys.verification import Refusal, verify


def refusal_response(refusal: Refusal):
    response = JsonResponse(refusal.as_json(), status=refusal.status)
    for name, value in refusal.headers.items():
        response[name] = value
    return response


def require_api_key(view=None, *, permissions=("read",)):
    """Protect a Django view with a Keydesk key, by exactly the verify endpoint's rules.

        @require_api_key(permissions=["write"])
        def upload(request): ...  # request.api_key is the VerifiedKey

    Refusals answer with the contract's JSON error; every answer to a recognised key carries
    the RateLimit-* headers. A Refusal raised inside the view is answered the same way.
    """

    def decorator(view):
        @csrf_exempt  # a key, not a cookie, authenticates these requests
        @wraps(view)
        def wrapper(request, *args, **kwargs):
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
