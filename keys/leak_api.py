"""The leak intake endpoints of DESIGN.md section 13, under `/v1/` (no key needed).

Both read the raw body themselves: GitHub's signature covers the exact bytes, and a body that
is not the contract's shape is a 400 here, not the schema layer's 422.
"""

import hashlib
import json
from typing import Any, Literal

from django.conf import settings
from django.http import HttpRequest
from ninja import Router, Schema, Status

from audit.requests import client_ip
from keys.counters import counters
from keys.leaks import revoke_leaked, revoke_reported_by_github
from keys.schemas import ErrorOut
from keys.secret_scanning import KeysUnavailable, signature_holds
from keys.verification import Refusal

router = Router(tags=["leaks"])


class ReceivedOut(Schema):
    received: int


class TokenLabelOut(Schema):
    token_hash: str
    token_type: str
    label: Literal["true_positive", "false_positive"]

    @staticmethod
    def of(report: dict[str, str], *, is_key: bool) -> dict[str, str]:
        """GitHub's answer for one reported token: its hash (never the token) and its label."""
        return {
            "token_hash": hashlib.sha256(report["token"].encode()).hexdigest(),
            "token_type": report["type"],
            "label": "true_positive" if is_key else "false_positive",
        }


MAX_CREDENTIALS = 100
REVOKE_BODY_LIMIT = 64 * 1024
GITHUB_BODY_LIMIT = 1024 * 1024
GITHUB_MAX_TOKENS = 1000
GITHUB_FIELDS = ("token", "type", "url", "source")


def read_body(request: HttpRequest, limit: int) -> bytes:
    """The raw body, refused before it is read when it is larger than `limit` bytes."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        raise Refusal(413, "payload_too_large", f"The body may be at most {limit} bytes.")
    body = request.body
    if len(body) > limit:
        raise Refusal(413, "payload_too_large", f"The body may be at most {limit} bytes.")
    return body


def parse_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise Refusal(400, "invalid_request", "The body is not JSON.") from None


def json_body(schema: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI request body of an endpoint that reads its raw body itself."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def within_report_limit(request: HttpRequest) -> None:
    """Reports per client address per minute (LEAK_REPORT_RATE_LIMIT), shared by every worker."""
    limit = settings.LEAK_REPORT_RATE_LIMIT
    # The keys' sliding window (shared through Redis, per process while it is away).
    count = counters.hit(f"leak:{client_ip(request)}", limit)
    if not count.allowed:
        retry = str(count.reset)
        raise Refusal(
            429,
            "rate_limited",
            f"At most {limit} reports a minute from one address; retry after {retry} s.",
            {"Retry-After": retry},
        )


@router.post(
    "/credentials/revoke",
    auth=None,
    response={202: ReceivedOut, 400: ErrorOut, 413: ErrorOut, 429: ErrorOut},
    summary="Report leaked keys",
    openapi_extra=json_body(
        {
            "type": "object",
            "required": ["credentials"],
            "properties": {
                "credentials": {
                    "type": "array",
                    "maxItems": MAX_CREDENTIALS,
                    "items": {"type": "string"},
                }
            },
        }
    ),
)
def revoke_credentials(request: HttpRequest) -> Status[dict[str, int]]:
    """Anyone holding a leaked key can kill it here. The answer is the same whether or not
    anything matched, so this endpoint tells nobody which strings are keys."""
    within_report_limit(request)
    data = parse_json(read_body(request, REVOKE_BODY_LIMIT))
    credentials = data.get("credentials") if isinstance(data, dict) else None
    if (
        not isinstance(credentials, list)
        or len(credentials) > MAX_CREDENTIALS
        or not all(isinstance(c, str) for c in credentials)
    ):
        raise Refusal(
            400,
            "invalid_request",
            f'Send {{"credentials": [...]}}: a list of at most {MAX_CREDENTIALS} strings.',
        )
    revoke_leaked(plaintexts=credentials, source="public report", request=request)
    return Status(202, {"received": len(credentials)})


def check_github_signature(request: HttpRequest, body: bytes) -> None:
    """Refuse a body unless it is signed by a key GitHub lists (401; 503 while the list cannot
    be fetched)."""
    try:
        signed = signature_holds(
            body,
            request.headers.get("Github-Public-Key-Identifier", ""),
            request.headers.get("Github-Public-Key-Signature", ""),
        )
    except KeysUnavailable:
        raise Refusal(
            503,
            "service_unavailable",
            "The secret scanning public keys cannot be fetched; try again later.",
            {"Retry-After": "60"},
        ) from None
    if not signed:
        raise Refusal(401, "invalid_signature", "The report's signature does not verify.")


def github_reports(data: Any) -> list[dict[str, str]]:
    """The report's items, or a 400 when it is not GitHub's format."""
    if (
        not isinstance(data, list)
        or len(data) > GITHUB_MAX_TOKENS
        or not all(
            isinstance(item, dict) and all(isinstance(item.get(f), str) for f in GITHUB_FIELDS)
            for item in data
        )
    ):
        raise Refusal(
            400,
            "invalid_request",
            "Send a JSON array of at most "
            f"{GITHUB_MAX_TOKENS} objects with string fields token, type, url and source.",
        )
    return data


@router.post(
    "/secret-scanning/github",
    auth=None,
    response={200: list[TokenLabelOut], 400: ErrorOut, 401: ErrorOut, 413: ErrorOut, 503: ErrorOut},
    summary="GitHub secret scanning reports",
    openapi_extra=json_body(
        {
            "type": "array",
            "items": {
                "type": "object",
                "required": list(GITHUB_FIELDS),
                "properties": {f: {"type": "string"} for f in GITHUB_FIELDS},
            },
        }
    ),
)
def github_secret_scanning(request: HttpRequest) -> Status[list[dict[str, str]]]:
    """GitHub's secret scanning partner endpoint: a signed list of tokens found in public code.

    Nothing is read from the body before its signature holds."""
    body = read_body(request, GITHUB_BODY_LIMIT)
    check_github_signature(request, body)
    reports = github_reports(parse_json(body))
    keys = revoke_reported_by_github(reports, request=request)
    return Status(200, [TokenLabelOut.of(r, is_key=r["token"] in keys) for r in reports])
