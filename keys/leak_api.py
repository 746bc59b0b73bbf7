"""The leak intake endpoints of DESIGN.md section 13, under `/v1/` (no key needed).

Both read the raw body themselves: GitHub's signature covers the exact bytes, and a body that
is not the contract's shape is a 400 here, not the schema layer's 422.
"""

import json
import time

from django.conf import settings
from ninja import Router, Schema

from audit.models import client_ip
from keys.leaks import revoke_leaked
from keys.schemas import ErrorOut
from keys.verification import Refusal, increment

router = Router(tags=["leaks"])


class ReceivedOut(Schema):
    received: int


MAX_CREDENTIALS = 100
REVOKE_BODY_LIMIT = 64 * 1024


def read_body(request, limit):
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


def parse_json(body):
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise Refusal(400, "invalid_request", "The body is not JSON.") from None


def within_report_limit(request):
    """Reports per client address per minute (LEAK_REPORT_RATE_LIMIT), shared by every worker."""
    limit = settings.LEAK_REPORT_RATE_LIMIT
    now = time.time()
    window = int(now // 60)
    used = increment(f"kd:leak:{client_ip(request)}:{window}", timeout=120)
    if used > limit:
        retry = str(60 - int(now % 60))
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
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
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
                }
            },
        }
    },
)
def revoke_credentials(request):
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
    return 202, {"received": len(credentials)}
