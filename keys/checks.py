from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register

DEVELOPMENT_SECRET = "keydesk-development-only"  # noqa: S105  (the default it warns about)


@register(Tags.security, deploy=True)
def key_hash_secret_is_set(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    secrets = settings.KEY_HASH_SECRETS
    if not secrets or DEVELOPMENT_SECRET in secrets or min(len(s) for s in secrets) < 32:
        return [
            Warning(
                "KEY_HASH_SECRET is unset, the development default, or shorter than 32 characters.",
                hint="Set KEY_HASH_SECRET to a long random value (comma-separate old ones "
                "after it when rotating). Key digests are only as strong as this secret.",
                id="keys.W001",
            )
        ]
    return []
