"""The rule for free text people type (names, descriptions, reasons), with no Django.

One home for it: the API's schemas (keys/schemas.py, an annotated pydantic type), the
dashboard's forms (keys/forms.py `TextField`) and the commands all call `clean_text`, with the
limits below, so a name the dashboard refuses is one the API refuses too.

Text is trimmed, and refused when it is empty after trimming, too long, or carries characters a
reader cannot see or that reorder what they see: C0/C1 controls (a description may hold line
breaks and tabs), and the bidirectional marks, embeddings, overrides and isolates
(U+200E/F, U+061C, U+202A-202E, U+2066-2069), with which `txt.exe` can be shown as `exe.txt`;
also line and paragraph separators, and lone surrogates (which no database stores).
"""

import re

NAME_MAX = 100
DESCRIPTION_MAX = 2000
REASON_MAX = 200

_CONTROLS = "\x00-\x08\x0b-\x1f\x7f-\x9f"
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
# Lone surrogates: JSON can carry them (`"\\ud800"`), no database can store them as UTF-8.
_OTHER = "\u2028\u2029\ud800-\udfff"
_FORBIDDEN_LINE = re.compile(f"[\t\n\r{_CONTROLS}{_BIDI}{_OTHER}]")
_FORBIDDEN_MULTILINE = re.compile(f"[{_CONTROLS}{_BIDI}{_OTHER}]")


class InvalidText(ValueError):
    """Text no entry point accepts; the message says why, for a person to act on."""


def clean_text(
    value: object, *, max_length: int | None, multiline: bool = False, required: bool = True
) -> str:
    """`value` trimmed, or InvalidText. `multiline` allows line breaks and tabs (descriptions);
    `required=False` lets empty text through (as ""); `max_length=None` sets no limit."""
    if not isinstance(value, str):
        raise InvalidText("must be text")
    if multiline:
        value = value.replace("\r\n", "\n")
    value = value.strip()
    if not value:
        if required:
            raise InvalidText("cannot be empty or only spaces")
        return ""
    if max_length is not None and len(value) > max_length:
        raise InvalidText(f"must be at most {max_length} characters (it has {len(value)})")
    forbidden = (_FORBIDDEN_MULTILINE if multiline else _FORBIDDEN_LINE).search(value)
    if forbidden:
        raise InvalidText(
            f"must not contain the invisible or control character U+{ord(forbidden.group()):04X}"
        )
    return value


# Environment tags (`team=payments`): a key people filter by, so a plain slug-like word that
# reads the same in a URL and a chip; a value is free text under the rule above.
TAG_KEY_MAX = 32
TAG_VALUE_MAX = 64
TAGS_MAX = 20  # per environment
_TAG_KEY = re.compile(r"[a-z0-9][a-z0-9_.-]*")


def clean_tag(text: object, *, value_required: bool = True) -> tuple[str, str]:
    """`key=value` as (key, value), trimmed, the key lower-cased; or InvalidText.

    `value_required=False` (a filter) lets a bare `key` through, as (key, "")."""
    if not isinstance(text, str):
        raise InvalidText("must be text")
    key, sep, value = text.partition("=")
    key = key.strip().lower()
    if not key:
        raise InvalidText("needs a key before '=', as in team=payments")
    if len(key) > TAG_KEY_MAX:
        raise InvalidText(f"key must be at most {TAG_KEY_MAX} characters (it has {len(key)})")
    if not _TAG_KEY.fullmatch(key):
        raise InvalidText(
            f"key {key!r} may hold only letters a-z, digits, '_', '.' and '-', "
            "starting with a letter or a digit"
        )
    if not sep and not value_required:
        return key, ""
    try:
        value = clean_text(value, max_length=TAG_VALUE_MAX)
    except InvalidText as problem:
        raise InvalidText(f"value of {key!r} {problem}") from None
    return key, value
