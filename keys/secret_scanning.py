"""GitHub secret scanning's signed reports: who may send them, and what they say.

GitHub signs each report's raw body with ECDSA P-256 / SHA-256, naming the key in
`Github-Public-Key-Identifier`; the public keys are listed at SECRET_SCANNING_KEYS_URL as
`{"public_keys": [{"key_identifier", "key" (PEM), "is_current"}]}`. The list is fetched once
and kept in the shared cache; a report signed by a key not in it fetches the list again (GitHub
rotates keys), but a fetch that still does not name it holds further fetches back for a while,
so made-up identifiers cannot turn Keydesk into a client hammering that URL.
"""

import base64
import binascii
import json
import logging
import urllib.error
import urllib.request

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

KEYS_CACHE = "kd:ss:keys"
HOLD_CACHE = "kd:ss:hold"
KEYS_TTL = 24 * 3600
FETCH_TIMEOUT = 5
MAX_KEYS_BYTES = 256 * 1024


class KeysUnavailable(Exception):
    """The public keys could not be fetched, and none are cached."""


def fetch_public_keys() -> dict[str, str]:
    """{key identifier: PEM} from SECRET_SCANNING_KEYS_URL. Raises KeysUnavailable."""
    url = settings.SECRET_SCANNING_KEYS_URL
    if not url.startswith(("https://", "http://")):
        logger.warning("SECRET_SCANNING_KEYS_URL must be an http(s) URL: %s", url)
        raise KeysUnavailable
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT) as response:  # noqa: S310
            listed = json.loads(response.read(MAX_KEYS_BYTES + 1)[:MAX_KEYS_BYTES])
        keys = {str(entry["key_identifier"]): str(entry["key"]) for entry in listed["public_keys"]}
    except (OSError, ValueError, KeyError, TypeError) as error:
        logger.warning("Secret scanning keys could not be fetched from %s: %s", url, error)
        raise KeysUnavailable from error
    cache.set(KEYS_CACHE, keys, timeout=KEYS_TTL)
    return keys


def public_key_pem(identifier: str) -> str | None:
    """The PEM of `identifier`, fetching the list when it is not cached or does not name it."""
    keys = cache.get(KEYS_CACHE)
    if keys is None:
        keys = fetch_public_keys()
    if identifier in keys:
        return keys[identifier]
    if not cache.add(HOLD_CACHE, True, timeout=settings.SECRET_SCANNING_REFRESH_HOLD):
        return None  # fetched lately without finding it: not again yet
    keys = fetch_public_keys()
    if identifier in keys:
        cache.delete(HOLD_CACHE)  # a rotation, not an attack: the next one may fetch again
    return keys.get(identifier)


def signature_holds(body: bytes, identifier: str, signature: str) -> bool:
    """Whether `signature` (base64 DER) over the raw `body` is by the key `identifier` names."""
    if not identifier or not signature or len(identifier) > 200 or len(signature) > 400:
        return False
    pem = public_key_pem(identifier)
    if pem is None:
        return False
    try:
        key = load_pem_public_key(pem.encode())
        if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
            return False
        key.verify(base64.b64decode(signature, validate=True), body, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError, TypeError, binascii.Error):
        return False
    return True
