"""The JSON API of DESIGN.md section 5 (django-ninja).

Every `/v1/api-keys` call is made with a key holding `manage`, and sees only that key's project:
any other id is a 404. No key can create or widen a key beyond its own permissions.
"""

import base64
import binascii
import ipaddress
from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe
from ninja import NinjaAPI, Query, Schema
from ninja.errors import HttpError, ValidationError
from ninja.security import HttpBearer

from environments.models import Environment
from keys import tokens
from keys.decorators import require_api_key
from keys.leak_api import router as leak_router
from keys.models import (
    ApiKey,
    Kind,
    NotRotatable,
    issue_api_key,
    revoke_api_key,
    rotate_api_key,
    update_api_key,
)
from keys.schemas import (
    ErrorOut,
    KeyChanges,
    KeyCreatedOut,
    KeyIn,
    KeyOut,
    KeyPage,
    RotateIn,
    VerifyOut,
)
from keys.verification import Refusal, verify

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 429: ErrorOut}
MANAGE_ERRORS = {**ERRORS, 404: ErrorOut, 422: ErrorOut}


class KeydeskAPI(NinjaAPI):
    def create_response(self, request, data, *, status=None, temporal_response=None):
        response = super().create_response(
            request, data, status=status, temporal_response=temporal_response
        )
        verified = getattr(request, "api_key", None)
        if verified is not None:
            for name, value in verified.rate_limit_headers.items():
                response.setdefault(name, value)
        return response


class BearerKey(HttpBearer):
    """A Keydesk key with `manage`; refusals answer in the contract's shape."""

    def __call__(self, request):
        request.api_key = verify(request, ("manage",))
        return request.api_key

    def authenticate(self, request, token):  # pragma: no cover - __call__ does the work
        return None


def docs_access(view):
    """The docs and schema are public, unless API_DOCS_REQUIRE_LOGIN asks for a signed-in user."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if settings.API_DOCS_REQUIRE_LOGIN and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper


api = KeydeskAPI(
    title="Keydesk",
    version="1",
    description="Verify API keys, and create, rotate and revoke them. "
    "Send keys as `Authorization: Bearer <key>`; never in the URL.",
    urls_namespace="v1",
    docs_decorator=docs_access,
)


@api.exception_handler(Refusal)
def on_refusal(request, refusal):
    response = api.create_response(request, refusal.as_json(), status=refusal.status)
    for name, value in refusal.headers.items():
        response[name] = value
    return response


@api.exception_handler(ValidationError)
def on_invalid(request, exc):
    problems = "; ".join(
        f"{'.'.join(str(p) for p in e['loc'][1:]) or 'body'}: {e['msg']}" for e in exc.errors
    )
    body = {"error": {"code": "invalid_request", "message": problems or "Invalid request."}}
    return api.create_response(request, body, status=422)


@api.exception_handler(Http404)
def on_not_found(request, exc):
    body = {"error": {"code": "not_found", "message": "No such key in this project."}}
    return api.create_response(request, body, status=404)


@api.exception_handler(HttpError)
def on_http_error(request, exc):
    code = getattr(exc, "code", None) or "invalid_request"
    body = {"error": {"code": code, "message": str(exc.message)}}
    return api.create_response(request, body, status=exc.status_code)


class ApiError(HttpError):
    """An answer in the contract's error shape, with a code of its own."""

    def __init__(self, status, code, message):
        super().__init__(status, message)
        self.code = code


class VerifyQuery(Schema):
    permissions: str | None = None


@require_safe
@require_api_key
def verify_endpoint(request):
    """`GET /v1/auth/verify`, routed straight here by config/urls.py: it sits in front of every
    request of a team's services, and skipping the API router saves a third of its cost.
    The operation below documents it in the OpenAPI schema."""
    wanted = [p.strip() for p in (request.GET.get("permissions") or "").split(",") if p.strip()]
    unknown = sorted(set(wanted) - {"read", "write", "manage"})
    if unknown:
        raise Refusal(
            400,
            "invalid_permissions",
            f"Unknown permission(s): {', '.join(unknown)}. Use read, write, manage.",
            request.api_key.rate_limit_headers,
        )
    request.api_key.require(wanted)
    return JsonResponse({"valid": True, "key": request.api_key.as_json()})


@api.get(
    "/auth/verify",
    response={200: VerifyOut, **ERRORS},
    auth=None,
    summary="Verify the sending key",
    openapi_extra={"security": [{"BearerKey": []}]},
)
def verify_key(request, query: Query[VerifyQuery]):
    """Answers 200 for a usable key that holds every permission asked in `?permissions=`."""
    return verify_endpoint(request)


def calling_key(request):
    return ApiKey.objects.select_related("environment__project").get(pk=request.auth.pk)


def project_keys(request):
    return (
        ApiKey.objects.filter(environment__project_id=request.auth.project_id)
        .select_related("environment__project", "rotated_from")
        .order_by("-id")
    )


def key_in_project(request, key_id):
    if not tokens.PUBLIC_ID_RE.fullmatch(key_id):  # not an id Keydesk gives: no query
        raise Http404
    return get_object_or_404(project_keys(request), public_id=key_id)


def within_own_permissions(request, permissions):
    beyond = sorted(set(permissions) - set(request.auth.permissions))
    if beyond:
        raise Refusal(
            403,
            "insufficient_permissions",
            f"A key cannot grant what it lacks: {', '.join(beyond)}.",
            request.auth.rate_limit_headers,
        )


def within_own_limits(request, caller, *, expires_at, allowed_ips):
    """A key cannot make, keep or rotate a key that outlives it or works from more places."""
    headers = request.auth.rate_limit_headers
    if caller.expires_at is not None and (expires_at is None or expires_at > caller.expires_at):
        raise Refusal(
            403,
            "insufficient_permissions",
            f"This key expires at {caller.expires_at.isoformat()}: it cannot give a key more time.",
            headers,
        )
    if caller.allowed_ips:
        own = [ipaddress.ip_network(n) for n in caller.allowed_ips]
        wanted = [ipaddress.ip_network(n) for n in allowed_ips]
        inside = all(any(n.version == o.version and n.subnet_of(o) for o in own) for n in wanted)
        if not wanted or not inside:
            raise Refusal(
                403,
                "insufficient_permissions",
                "This key works only from some networks: it cannot give a key more of them.",
                headers,
            )


def no_store(response):
    response["Cache-Control"] = "no-store"
    return response


manage = [BearerKey()]


@api.post(
    "/api-keys", response={201: KeyCreatedOut, **MANAGE_ERRORS}, auth=manage, summary="Create"
)
def create_key(request, body: KeyIn):
    permissions = set(body.permissions) | {"read"}
    within_own_permissions(request, permissions)
    caller = calling_key(request)
    # Unless told otherwise, a new key inherits the caller's expiry and networks.
    expires_at = body.expires_at or caller.expires_at
    allowed_ips = body.allowed_ips or caller.allowed_ips
    within_own_limits(request, caller, expires_at=expires_at, allowed_ips=allowed_ips)
    environment = Environment.objects.filter(
        project_id=request.auth.project_id, slug=body.environment
    ).first()
    if environment is None:
        raise ApiError(
            422, "unknown_environment", f"No environment {body.environment!r} in this project."
        )
    key, plaintext = issue_api_key(
        environment=environment,
        name=body.name,
        by=caller,
        kind=Kind.SERVICE,
        write="write" in permissions,
        manage="manage" in permissions,
        description=body.description,
        expires_at=expires_at,
        allowed_ips=allowed_ips,
        allowed_origins=body.allowed_origins or [],
        rate_limit=body.rate_limit,
        request=request,
    )
    response = api.create_response(
        request, KeyCreatedOut(**KeyOut.of(key), key=plaintext).model_dump(mode="json"), status=201
    )
    return no_store(response)


def _cursor_to_id(cursor):
    try:
        return int(base64.urlsafe_b64decode(cursor.encode() + b"==").decode())
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ApiError(422, "invalid_cursor", "This cursor is not one Keydesk gave.") from None


class PageQuery(Schema):
    cursor: str | None = None
    limit: int = 50


@api.get("/api-keys", response={200: KeyPage, **MANAGE_ERRORS}, auth=manage, summary="List")
def list_keys(request, query: Query[PageQuery]):
    if not 1 <= query.limit <= 200:
        raise ApiError(422, "invalid_request", "limit: between 1 and 200.")
    keys = project_keys(request)
    if query.cursor:
        keys = keys.filter(id__lt=_cursor_to_id(query.cursor))
    page = list(keys[: query.limit + 1])
    more = len(page) > query.limit
    page = page[: query.limit]
    cursor = (
        base64.urlsafe_b64encode(str(page[-1].pk).encode()).decode().rstrip("=") if more else None
    )
    return {"items": [KeyOut.of(k) for k in page], "next_cursor": cursor}


@api.get("/api-keys/{key_id}", response={200: KeyOut, **MANAGE_ERRORS}, auth=manage, summary="Get")
def get_key(request, key_id: str):
    return KeyOut.of(key_in_project(request, key_id))


@api.patch(
    "/api-keys/{key_id}", response={200: KeyOut, **MANAGE_ERRORS}, auth=manage, summary="Change"
)
def patch_key(request, key_id: str, body: KeyChanges):
    key = key_in_project(request, key_id)
    sent = body.model_dump(exclude_unset=True)
    changes = {k: v for k, v in sent.items() if k in {"name", "description", "expires_at"}}
    if "name" in changes and changes["name"] is None:
        raise ApiError(422, "invalid_request", "name: cannot be null.")
    if "permissions" in sent:
        permissions = set(sent["permissions"] or []) | {"read"}
        within_own_permissions(request, permissions)
        changes["can_write"] = "write" in permissions
        changes["can_manage"] = "manage" in permissions
    for listed in ("allowed_ips", "allowed_origins"):
        if listed in sent:
            changes[listed] = sent[listed] or []
    if "rate_limit" in sent:
        changes["rate_limit"] = sent["rate_limit"]
    if "description" in changes and changes["description"] is None:
        changes["description"] = ""
    caller = calling_key(request)
    within_own_limits(
        request,
        caller,
        expires_at=changes.get("expires_at", key.expires_at),
        allowed_ips=changes.get("allowed_ips", key.allowed_ips),
    )
    update_api_key(key=key, by=caller, changes=changes, request=request)
    return KeyOut.of(key)


@api.post(
    "/api-keys/{key_id}/rotate",
    response={201: KeyCreatedOut, 409: ErrorOut, **MANAGE_ERRORS},
    auth=manage,
    summary="Rotate",
)
def rotate_key(request, key_id: str, body: RotateIn | None = None):
    """A successor with the same settings; the old key stops after `grace_seconds` (default 0)."""
    key = key_in_project(request, key_id)
    within_own_permissions(request, key.permissions)
    caller = calling_key(request)
    within_own_limits(request, caller, expires_at=key.expires_at, allowed_ips=key.allowed_ips)
    grace = body.grace_seconds if body else 0
    try:
        new, plaintext = rotate_api_key(key=key, by=caller, grace_seconds=grace, request=request)
    except NotRotatable:
        raise ApiError(
            409, "key_not_rotatable", "This key is revoked, expired or already rotated."
        ) from None
    response = api.create_response(
        request, KeyCreatedOut(**KeyOut.of(new), key=plaintext).model_dump(mode="json"), status=201
    )
    return no_store(response)


@api.delete(
    "/api-keys/{key_id}", response={200: KeyOut, **MANAGE_ERRORS}, auth=manage, summary="Revoke"
)
def delete_key(request, key_id: str):
    """Revokes the key at once; the record stays, with status `revoked`."""
    key = key_in_project(request, key_id)
    revoke_api_key(
        key=key, by=calling_key(request), reason="revoked through the API", request=request
    )
    key.refresh_from_db()
    return KeyOut.of(key)


# Leak intake (keys/leak_api.py): public endpoints, registered after the keyed ones.
api.add_router("/", leak_router)
