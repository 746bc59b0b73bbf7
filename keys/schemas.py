"""The JSON shapes of DESIGN.md section 5."""

import ipaddress
from datetime import datetime
from typing import Literal

from ninja import Field, Schema
from pydantic import field_validator

from keys import origins
from keys.models import clean_expiry

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
    def of(key):
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
            "rotated_from": key.rotated_from.public_id if key.rotated_from_id else None,
        }


class KeyCreatedOut(KeyOut):
    key: str = Field(description="The plaintext key. Shown this once; Keydesk keeps a digest.")


class KeyPage(Schema):
    items: list[KeyOut]
    next_cursor: str | None


def _cidrs(value):
    if value is None:
        return value
    if len(value) > 100:
        raise ValueError("at most 100 networks")
    return [str(ipaddress.ip_network(cidr, strict=False)) for cidr in value]


def _origins(value):
    return None if value is None else origins.clean(value)


def no_nul(value):
    """PostgreSQL cannot store NUL in text: refuse it here, as a clear 422."""
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


class KeyChanges(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = Field(None, max_length=2000)
    permissions: list[Perm] | None = None
    expires_at: datetime | None = None
    allowed_ips: list[str] | None = None
    allowed_origins: list[str] | None = Field(
        None, description="Origins (https://app.example.com) or host patterns (*.example.com)."
    )
    rate_limit: int | None = Field(None, ge=1, le=1_000_000)

    check_ips = field_validator("allowed_ips")(_cidrs)
    check_origins = field_validator("allowed_origins")(_origins)
    check_text = field_validator("name", "description")(no_nul)

    check_expiry = field_validator("expires_at")(clean_expiry)


class KeyIn(KeyChanges):
    name: str = Field(min_length=1, max_length=100)
    environment: str = Field(min_length=1, max_length=50, pattern=r"^[-a-zA-Z0-9_]+$")
    permissions: list[Perm] = ["read"]
    description: str = Field("", max_length=2000)


class RotateIn(Schema):
    grace_seconds: int = Field(0, ge=0, le=7 * 86400)
