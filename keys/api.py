"""The JSON API of DESIGN.md section 5 (django-ninja).

Every `/v1/api-keys` call is made with a key holding `manage`, and sees only that key's project:
any other id is a 404. No key can create or widen a key beyond its own permissions.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from http import HTTPStatus
from typing import Any, cast

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe
from ninja import Body, Field, NinjaAPI, Query, Schema
from ninja.errors import HttpError, ValidationError
from ninja.operation import Operation
from ninja.security import HttpBearer

from config.outages import DATABASE_ERRORS, database_unavailable
from config.pagination import InvalidCursor
from environments.access import View
from environments.models import Environment
from keys import tokens
from keys.decorators import KeyRequest
from keys.leak_api import router as leak_router
from keys.middleware import api_error
from keys.models import (
    NEWEST_FIRST,
    ApiKey,
    ApiKeyQuerySet,
    BeyondIssuer,
    Kind,
    LifetimeTooLong,
    NotRotatable,
    check_may_issue,
    issue_api_key,
    permission_columns,
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
    RevokeIn,
    RotateIn,
    VerifyOut,
)
from keys.verification import Refusal, VerifiedKey, verify

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 429: ErrorOut, 503: ErrorOut}
# 413 and 415 come from the body's size and media type (keys/middleware.py, BearerKey).
MANAGE_ERRORS = {**ERRORS, 404: ErrorOut, 413: ErrorOut, 415: ErrorOut, 422: ErrorOut}


class ManageRequest(KeyRequest):
    """A request BearerKey let through: ninja keeps what it returned as `auth`."""

    auth: VerifiedKey


class KeydeskAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        """`create_key`, not `keys_api_create_key`: the names generated clients give functions."""
        return operation.view_func.__name__

    def create_response(
        self,
        request: HttpRequest,
        data: Any,
        *,
        status: int | None = None,
        temporal_response: HttpResponse | None = None,
    ) -> HttpResponse:
        response = super().create_response(
            request, data, status=status, temporal_response=temporal_response
        )
        verified = getattr(request, "api_key", None)
        if verified is not None:
            for name, value in verified.rate_limit_headers.items():
                response.setdefault(name, value)
        return response


def sends_json(request: HttpRequest) -> bool:
    """A body, if any, must say it is JSON: a form post or text is a 415, not a parse error."""
    if not request.META.get("CONTENT_LENGTH", "").strip("0") and not request.META.get(
        "HTTP_TRANSFER_ENCODING"
    ):
        return True
    media_type = request.content_type or ""
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


class BearerKey(HttpBearer):
    """A Keydesk key with `manage`; refusals answer in the contract's shape.

    Checks the body's media type too: ninja authenticates before it reads the body, so a key in
    the URL or a missing key is answered first."""

    def __call__(self, request: HttpRequest) -> VerifiedKey:
        request = cast(KeyRequest, request)  # one from here on
        request.api_key = verify(request, ("manage",))
        if not sends_json(request):
            raise Refusal(
                415,
                "unsupported_media_type",
                "Send the body as JSON, with 'Content-Type: application/json'.",
                request.api_key.rate_limit_headers,
            )
        return request.api_key

    def authenticate(self, request: HttpRequest, token: str) -> None:  # pragma: no cover
        return None  # __call__ does the work


def docs_access(view: View) -> View:
    """The docs and schema are public, unless API_DOCS_REQUIRE_LOGIN asks for a signed-in user."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
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
def on_refusal(request: HttpRequest, refusal: Refusal) -> HttpResponse:
    response = api.create_response(request, refusal.as_json(), status=refusal.status)
    for name, value in refusal.headers.items():
        response[name] = value
    return response


@api.exception_handler(ValidationError)
def on_invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    problems = "; ".join(
        f"{'.'.join(str(p) for p in e['loc'][1:]) or 'body'}: {e['msg']}" for e in exc.errors
    )
    body = {"error": {"code": "invalid_request", "message": problems or "Invalid request."}}
    return api.create_response(request, body, status=422)


def on_database_outage(request: HttpRequest, exc: Exception) -> HttpResponse:
    return database_unavailable(request, exc)


for error in DATABASE_ERRORS:  # django-ninja would re-raise them; answer as every page does
    api.exception_handler(error)(on_database_outage)


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    body = {"error": {"code": "not_found", "message": "No such key in this project."}}
    return api.create_response(request, body, status=404)


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = getattr(exc, "code", None) or "invalid_request"
    message = str(exc.message)
    if exc.status_code == 400 and exc.__cause__ is not None:  # ninja could not parse the body
        code, message = "malformed_json", "The body is not valid JSON."
    body = {"error": {"code": code, "message": message}}
    return api.create_response(request, body, status=exc.status_code)


@api.exception_handler(LifetimeTooLong)
def on_lifetime_too_long(request: HttpRequest, exc: LifetimeTooLong) -> HttpResponse:
    message = f"{exc} Send expires_at no later than {exc.latest.isoformat()}."
    body = {"error": {"code": "lifetime_exceeds_policy", "message": message}}
    return api.create_response(request, body, status=422)


@api.exception_handler(BeyondIssuer)
def on_beyond_issuer(request: HttpRequest, exc: BeyondIssuer) -> HttpResponse:
    body = {"error": {"code": "insufficient_permissions", "message": str(exc)}}
    return api.create_response(request, body, status=403)


def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Whatever else is under /v1/ (config/urls.py routes it here, after the router)."""
    return api_error(404, message="No such path in this API; see /v1/docs.")


class ApiError(HttpError):
    """An answer in the contract's error shape, with a code of its own."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(status, message)
        self.code = code


@dataclass(frozen=True, slots=True)
class VerifyAnswer:
    """What `GET /v1/auth/verify` answers, built in one place: the endpoint sends it, the
    dashboard's playground (keys/playground.py) shows it."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str]

    def as_response(self) -> JsonResponse:
        return JsonResponse(self.body, status=self.status, headers=self.headers)

    @property
    def reason(self) -> str:
        return HTTPStatus(self.status).phrase


def verify_answer(
    request: HttpRequest, *, asked: Iterable[str], key: str | None = None
) -> VerifyAnswer:
    """Verify the request's key (or `key`, see `verify`) and the permissions `asked`, given as
    the endpoint takes them: `read,write`, or repeated."""
    try:
        verified = verify(request, key=key)
        wanted = [p.strip() for p in ",".join(asked).split(",") if p.strip()]
        unknown = sorted(set(wanted) - {"read", "write", "manage"})
        if unknown:
            raise Refusal(
                400,
                "invalid_permissions",
                f"Unknown permission(s): {', '.join(unknown)}. Use read, write, manage.",
                verified.rate_limit_headers,
            )
        verified.require(wanted)
    except Refusal as refusal:
        return VerifyAnswer(refusal.status, refusal.as_json(), refusal.headers)
    return VerifyAnswer(
        200, {"valid": True, "key": verified.as_json()}, verified.rate_limit_headers
    )


@csrf_exempt  # a key, not a cookie, authenticates these requests
@require_safe
def verify_endpoint(request: HttpRequest) -> JsonResponse:
    """`GET /v1/auth/verify`, routed straight here by config/urls.py: it sits in front of every
    request of a team's services, and skipping the API router saves a third of its cost.
    The operation below documents it in the OpenAPI schema."""
    return verify_answer(request, asked=request.GET.getlist("permissions")).as_response()


# Declared by hand: a comma-separated list of an enum (ninja would make it a free string).
PERMISSIONS_PARAMETER = {
    "name": "permissions",
    "in": "query",
    "required": False,
    "style": "form",
    "explode": False,
    "description": "Answer 403 unless the key holds each of these, e.g. `read,write`.",
    "schema": {
        "type": "array",
        "items": {"type": "string", "enum": ["read", "write", "manage"]},
        "uniqueItems": True,
    },
    "example": ["read", "write"],
}


@api.get(
    "/auth/verify",
    response={200: VerifyOut, **ERRORS},
    auth=None,
    summary="Verify the sending key",
    openapi_extra={"security": [{"BearerKey": []}], "parameters": [PERMISSIONS_PARAMETER]},
)
def verify_key(request: HttpRequest) -> JsonResponse:
    """Answers 200 for a usable key that holds every permission asked in `?permissions=`."""
    return verify_endpoint(request)


def calling_key(request: ManageRequest) -> ApiKey:
    return ApiKey.objects.select_related("environment__project").get(pk=request.auth.pk)


def project_keys(request: ManageRequest) -> ApiKeyQuerySet:
    """The calling key's project's keys (its organization first: the index the list walks)."""
    return ApiKey.objects.filter(
        organization_id=request.auth.organization_id,
        environment__project_id=request.auth.project_id,
    ).select_related("environment__project", "rotated_from")


def key_in_project(request: ManageRequest, key_id: str) -> ApiKey:
    if not tokens.PUBLIC_ID_RE.fullmatch(key_id):  # not an id Keydesk gives: no query
        raise Http404
    return get_object_or_404(project_keys(request), public_id=key_id)


def environment_in_project(request: ManageRequest, slug: str) -> Environment:
    environments = Environment.objects.filter(project_id=request.auth.project_id)
    environment = environments.filter(slug=slug).first()
    if environment is None:
        raise ApiError(422, "unknown_environment", f"No environment {slug!r} in this project.")
    return environment


def created(request: HttpRequest, key: ApiKey, plaintext: str) -> HttpResponse:
    """201 with the new key's plaintext: the one answer that carries it, never stored."""
    body = KeyCreatedOut(**KeyOut.of(key), key=plaintext).model_dump(mode="json")
    response = api.create_response(request, body, status=201)
    response["Cache-Control"] = "no-store"
    return response


manage = [BearerKey()]

# OpenAPI links: from a key in an answer to what can be done with it next, so clients and
# stateful testers (schemathesis) chain create -> get -> change -> rotate -> revoke.
KEY_LINKS = {
    name: {"operationId": operation, "parameters": {"key_id": "$response.body#/id"}}
    for name, operation in (
        ("GetKey", "get_key"),
        ("ChangeKey", "patch_key"),
        ("RotateKey", "rotate_key"),
        ("RevokeKey", "delete_key"),
    )
}


def key_operation[F: Callable[..., Any]](
    method: str,
    path: str,
    *,
    summary: str,
    status: int = 200,
    out: type[Schema] = KeyOut,
    errors: dict[int, type[Schema]] | None = None,
) -> Callable[[F], F]:
    """A `/v1/api-keys` operation that answers one key (`out`, with `status`): called with a
    `manage` key, and linked to what can be done with the key next."""
    return api.api_operation(
        [method],
        path,
        response={status: out, **(errors or {}), **MANAGE_ERRORS},
        auth=manage,
        summary=summary,
        openapi_extra={"responses": {status: {"links": KEY_LINKS}}},
    )


@key_operation("POST", "/api-keys", status=201, out=KeyCreatedOut, summary="Create")
def create_key(request: ManageRequest, body: KeyIn) -> HttpResponse:
    caller = calling_key(request)
    # Unless told otherwise, a new key inherits the caller's expiry, networks and origins.
    expires_at = body.expires_at or caller.expires_at
    allowed_ips = body.allowed_ips or caller.allowed_ips
    allowed_origins = body.allowed_origins or caller.allowed_origins
    check_may_issue(
        caller,
        permissions=body.permissions,
        expires_at=expires_at,
        allowed_ips=allowed_ips,
        allowed_origins=allowed_origins,
    )
    columns = permission_columns(body.permissions)
    key, plaintext = issue_api_key(
        environment=environment_in_project(request, body.environment),
        name=body.name,
        by=caller,
        kind=Kind.SERVICE,
        write=columns["can_write"],
        manage=columns["can_manage"],
        description=body.description,
        expires_at=expires_at,
        allowed_ips=allowed_ips,
        allowed_origins=allowed_origins,
        rate_limit=body.rate_limit,
        request=request,
    )
    return created(request, key, plaintext)


class PageQuery(Schema):
    cursor: str | None = Field(
        None, max_length=200, description="`next_cursor` of the page before; omit for the first."
    )
    limit: int = Field(50, ge=1, le=200, description="Keys per page.")


@api.get("/api-keys", response={200: KeyPage, **MANAGE_ERRORS}, auth=manage, summary="List")
def list_keys(request: ManageRequest, query: Query[PageQuery]) -> dict[str, Any]:
    """Newest first, by keyset like the dashboard's lists (config/pagination.py)."""
    try:
        page = NEWEST_FIRST.page(
            project_keys(request),
            query.cursor or "",
            scope=f"project-{request.auth.project_id}",
            size=query.limit,
        )
    except InvalidCursor:
        raise ApiError(422, "invalid_cursor", "This cursor is not one Keydesk gave.") from None
    return {"items": [KeyOut.of(k) for k in page.items], "next_cursor": page.older}


@key_operation("GET", "/api-keys/{key_id}", summary="Get")
def get_key(request: ManageRequest, key_id: str) -> dict[str, Any]:
    return KeyOut.of(key_in_project(request, key_id))


@key_operation("PATCH", "/api-keys/{key_id}", summary="Change")
def patch_key(request: ManageRequest, key_id: str, body: KeyChanges) -> dict[str, Any]:
    key = key_in_project(request, key_id)
    sent = body.model_dump(exclude_unset=True)
    changes = {k: v for k, v in sent.items() if k in {"name", "description", "expires_at"}}
    if "name" in changes and changes["name"] is None:
        raise ApiError(422, "invalid_request", "name: cannot be null.")
    if "permissions" in sent:
        changes.update(permission_columns(sent["permissions"] or []))
    for listed in ("allowed_ips", "allowed_origins"):
        if listed in sent:
            changes[listed] = sent[listed] or []
    if "rate_limit" in sent:
        changes["rate_limit"] = sent["rate_limit"]
    if "description" in changes and changes["description"] is None:
        changes["description"] = ""
    caller = calling_key(request)
    check_may_issue(
        caller,
        permissions=sent.get("permissions") or [],
        expires_at=changes.get("expires_at", key.expires_at),
        allowed_ips=changes.get("allowed_ips", key.allowed_ips),
        allowed_origins=changes.get("allowed_origins", key.allowed_origins),
    )
    update_api_key(key=key, by=caller, changes=changes, request=request)
    return KeyOut.of(key)


# Rotate's and revoke's optional bodies are `Body[X] = None` (hence the type: ignore): ninja
# then documents an optional X, where `X | None` adds a `null` generated clients cannot call.
@key_operation(
    "POST",
    "/api-keys/{key_id}/rotate",
    status=201,
    out=KeyCreatedOut,
    errors={409: ErrorOut},
    summary="Rotate",
)
def rotate_key(
    request: ManageRequest,
    key_id: str,
    body: Body[RotateIn] = None,  # type: ignore[assignment]
) -> HttpResponse:
    """A successor with the same settings; the old key stops after `grace_seconds` (default 0)."""
    key = key_in_project(request, key_id)
    caller = calling_key(request)
    check_may_issue(
        caller,
        permissions=key.permissions,
        expires_at=key.expires_at,
        allowed_ips=key.allowed_ips,
        allowed_origins=key.allowed_origins,
    )
    grace = body.grace_seconds if body else 0
    try:
        new, plaintext = rotate_api_key(key=key, by=caller, grace_seconds=grace, request=request)
    except NotRotatable:
        raise ApiError(
            409, "key_not_rotatable", "This key is revoked, expired or already rotated."
        ) from None
    return created(request, new, plaintext)


@api.delete(
    "/api-keys/{key_id}", response={200: KeyOut, **MANAGE_ERRORS}, auth=manage, summary="Revoke"
)
def delete_key(
    request: ManageRequest,
    key_id: str,
    body: Body[RevokeIn] = None,  # type: ignore[assignment]
) -> dict[str, Any]:
    """Revokes the key at once; the record stays, with status `revoked` and the reason."""
    key = key_in_project(request, key_id)
    reason = (body.reason if body else None) or "revoked through the API"
    revoke_api_key(key=key, by=calling_key(request), reason=reason, request=request)
    key.refresh_from_db()
    return KeyOut.of(key)


# Leak intake (keys/leak_api.py): public endpoints, registered after the keyed ones.
api.add_router("/", leak_router)
