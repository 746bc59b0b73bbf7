"""The JSON shapes of DESIGN.md section 5."""

import ipaddress
from datetime import datetime
from functools import partial
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import AfterValidator, StringConstraints, field_validator

from keys import origins
from keys.models import ApiKey, clean_expiry
from keys.text import DESCRIPTION_MAX, NAME_MAX, REASON_MAX, clean_text

Perm = Literal["read", "write", "manage"]


class ErrorBody(Schema):
    code: str
    message: str


class ErrorOut(Schema):
    error: ErrorBody


class VerifiedKeyOut(Schema):
    id: str
    name: str
    environment: str
    project: str
    permissions: list[Perm]
    expires_at: datetime | None


class VerifyOut(Schema):
    valid: bool
    key: VerifiedKeyOut


class KeyOut(Schema):
    id: str
    name: str
    description: str
    environment: str
    project: str
    permissions: list[Perm]
    kind: Literal["personal", "service"]
    hint: str
    status: Literal["active", "expired", "revoked"]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    revoked_reason: str
    allowed_ips: list[str]
    allowed_origins: list[str]
    rate_limit: int | None
    rotated_from: str | None

    @staticmethod
    def of(key: ApiKey) -> dict[str, Any]:
        return {
            "id": key.public_id,
            "name": key.name,
            "description": key.description,
            "environment": key.environment.slug,
            "project": key.environment.project.slug,
            "permissions": key.permissions,
            "kind": key.kind,
            "hint": key.hint,
            "status": key.status.value,
            "created_at": key.created_at,
            "expires_at": key.expires_at,
            "last_used_at": key.last_used_at,
            "revoked_at": key.revoked_at,
            "revoked_reason": key.revoked_reason,
            "allowed_ips": key.allowed_ips,
            "allowed_origins": key.allowed_origins,
            "rate_limit": key.rate_limit,
            "rotated_from": key.rotated_from.public_id if key.rotated_from else None,
        }


class KeyCreatedOut(KeyOut):
    key: str = Field(description="The plaintext key. Shown this once; Keydesk keeps a digest.")


class KeyPage(Schema):
    items: list[KeyOut]
    next_cursor: str | None


def _cidrs(value: list[str] | None) -> list[str] | None:
    if value is None:
        return value
    return [str(ipaddress.ip_network(cidr, strict=False)) for cidr in value]


def _rule(max_length: int, *, multiline: bool = False, required: bool = True) -> AfterValidator:
    """keys/text.py's rule, after pydantic's own checks (which the schema states)."""
    return AfterValidator(
        partial(clean_text, max_length=max_length, multiline=multiline, required=required)
    )


# Free text under keys/text.py's rule; the schema states the same bounds.
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_MAX),
    _rule(NAME_MAX),
]
Description = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=DESCRIPTION_MAX),
    _rule(DESCRIPTION_MAX, multiline=True, required=False),
]
Reason = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=REASON_MAX),
    _rule(REASON_MAX),
]


def _origins(value: list[str] | None) -> list[str] | None:
    return None if value is None else origins.clean(value)


class KeyChanges(Schema):
    name: Name | None = None
    description: Description | None = None
    permissions: list[Perm] | None = None
    expires_at: datetime | None = Field(
        None,
        description="In a production environment whose organization limits the lifetime of"
        " new production keys, required and within that limit (else 422"
        " `lifetime_exceeds_policy`).",
    )
    allowed_ips: list[Annotated[str, StringConstraints(max_length=64)]] | None = Field(
        None, max_length=100, examples=[["203.0.113.0/24", "2001:db8::/32"]]
    )
    allowed_origins: list[Annotated[str, StringConstraints(max_length=255)]] | None = Field(
        None,
        max_length=100,
        description="Origins (https://app.example.com) or host patterns (*.example.com).",
    )
    rate_limit: int | None = Field(None, ge=1, le=1_000_000)

    check_ips = field_validator("allowed_ips")(_cidrs)
    check_origins = field_validator("allowed_origins")(_origins)

    check_expiry = field_validator("expires_at")(clean_expiry)


class KeyIn(KeyChanges):
    name: Annotated[Name, Field(examples=["CI deploys"])]
    environment: str = Field(
        min_length=1,
        max_length=50,
        pattern=r"^[-a-zA-Z0-9_]+$",
        description="The slug of an environment in the calling key's project.",
        examples=["development"],
    )
    permissions: list[Perm] = Field(
        ["read"], description="`read` is always granted.", examples=[["read", "write"]]
    )
    description: Description = ""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"name": "CI deploys", "environment": "development", "permissions": ["read"]}
            ]
        }
    }


class RotateIn(Schema):
    grace_seconds: int = Field(
        0,
        ge=0,
        le=7 * 86400,
        description="Seconds the old key keeps working (at most 7 days).",
        examples=[3600],
    )


class RevokeIn(Schema):
    reason: Reason | None = Field(
        None,
        description="Recorded in the audit log; default: revoked through the API.",
        examples=["leaked in a public repository"],
    )
