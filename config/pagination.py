"""Keyset pagination, for every long list: the audit log, the key lists and the API's key list.

A list is read newest first in a fixed order whose last field is unique (the tie-break). A page
is the rows that come after a cursor in that order, and the cursor holds the sort values of the
row it starts from, never an offset: any page is one range scan of an index in that order, so
a page 2,000 deep costs what the first costs (OFFSET would read and drop every row before it).

Cursors travel in URLs signed (django.core.signing) for one list and one scope (an
organization, an environment, a project): one cannot be forged, edited, or carried to another
list or tenant; anything else is `InvalidCursor`. They hold sort values only, so a cursor
stays good however the rows around it change.
"""

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.core import signing
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db.models import Field, Model, Q, QuerySet

PAGE_SIZE = 50
# What a cursor asks for: the page after its row, the page before it, or the page ending at it.
OLDER, NEWER, ENDING = "o", "n", "e"


class InvalidCursor(ValueError):
    """A cursor this list did not give (edited, forged, another list's or tenant's)."""


@dataclass(frozen=True)
class Page:
    """One page of a list, newest first, and the cursors of the pages either side."""

    items: list
    older: str | None = None  # cursor of the page of older rows, if any
    newer: str | None = None  # cursor of the page of newer rows; None on the first page
    cursor: str = ""  # the cursor that asked for this page ("" for the first)
    url: str = ""  # the list with its filters, from its first page (dashboard links)
    refused: bool = False  # a cursor was refused: this is the first page instead

    @property
    def is_first(self) -> bool:
        return self.newer is None

    @property
    def first_url(self) -> str:
        return self.url

    @property
    def older_url(self) -> str:
        return with_cursor(self.url, self.older)

    @property
    def newer_url(self) -> str:
        return with_cursor(self.url, self.newer)

    @property
    def current_url(self) -> str:
        """This page again (a table redrawn after a change stays where it was)."""
        return with_cursor(self.url, self.cursor)


def with_cursor(url: str, cursor: str | None) -> str:
    if not cursor:
        return url
    return f"{url}{'&' if '?' in url else '?'}{urlencode({'cursor': cursor})}"


@dataclass(frozen=True)
class Keyset:
    """A list's order: `fields`, each descending, the last one unique; `name` keeps its
    cursors to this list. Each list needs an index on its equality filters then `fields`."""

    name: str
    fields: tuple[str, ...]

    def page(
        self, rows: QuerySet, cursor: str = "", *, scope: Any = "", size: int = PAGE_SIZE
    ) -> Page:
        """The page `cursor` asks for (the first when empty); raises InvalidCursor."""
        if not cursor:
            return self._older(rows, None, scope, size)
        direction, values = self._load(rows.model, cursor, scope)
        if direction == OLDER:
            page = self._older(rows, values, scope, size)
        else:
            page = self._newer(rows, values, scope, size, inclusive=direction == ENDING)
        return replace(page, cursor=cursor if not page.is_first else "")

    def page_or_first(
        self, rows: QuerySet, cursor: str, *, scope: Any, url: str, size: int = PAGE_SIZE
    ) -> Page:
        """A dashboard list's page: a refused cursor gives the first page, saying so."""
        try:
            page = self.page(rows, cursor, scope=scope, size=size)
        except InvalidCursor:
            page = replace(self.page(rows, scope=scope, size=size), refused=True)
        return replace(page, url=url)

    def cursor(self, direction: str, row: Model, scope: Any) -> str:
        """The cursor of the page after `row` (OLDER), before it (NEWER), or ending at it
        (ENDING)."""
        return self._sign(direction, [getattr(row, f) for f in self.fields], scope)

    def _older(self, rows: QuerySet, values: list[Any] | None, scope: Any, size: int) -> Page:
        if values is not None:
            rows = rows.filter(_beyond(self.fields, values, "lt"))
        found = list(rows.order_by(*(f"-{f}" for f in self.fields))[: size + 1])
        page = found[:size]
        older = self.cursor(OLDER, page[-1], scope) if len(found) > size else None
        newer = None
        if page and values is not None:
            newer = self.cursor(NEWER, page[0], scope)
        elif values is not None:  # past the end: the way back must show the cursor's row
            newer = self._sign(ENDING, values, scope)
        return Page(page, older=older, newer=newer)

    def _newer(
        self, rows: QuerySet, values: list[Any], scope: Any, size: int, *, inclusive: bool = False
    ) -> Page:
        newer_rows = rows.filter(_beyond(self.fields, values, "gt", inclusive=inclusive))
        found = list(newer_rows.order_by(*self.fields)[: size + 1])
        if len(found) <= size:  # nothing newer beyond: that is the first page, full
            return self._older(rows, None, scope, size)
        page = found[:size][::-1]
        older, newer = self.cursor(OLDER, page[-1], scope), self.cursor(NEWER, page[0], scope)
        return Page(page, older=older, newer=newer)

    def _sign(self, direction: str, values: list[Any], scope: Any) -> str:
        return self._signer(scope).sign_object([direction, *map(_dumped, values)])

    def _signer(self, scope: Any) -> signing.Signer:
        return signing.Signer(salt=f"keydesk.pages.{self.name}.{scope}")

    def _load(self, model: type[Model], cursor: str, scope: Any) -> tuple[str, list]:
        try:
            direction, *values = self._signer(scope).unsign_object(cursor)
            if direction not in (OLDER, NEWER, ENDING):
                raise ValueError(direction)
            pairs = zip(self.fields, values, strict=True)  # ValueError when the lengths differ
            return direction, [_loaded(model, *pair) for pair in pairs]
        except (signing.BadSignature, ValidationError, ValueError, TypeError):
            raise InvalidCursor("This page link is not one this list gave.") from None


def _dumped(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value


def _loaded(model: type[Model], name: str, value: object) -> Any:
    field = model._meta.get_field(name)
    if not isinstance(field, Field):
        raise ImproperlyConfigured(f"A list is ordered by columns, not by {name!r}.")
    if value is None or isinstance(value, (list, dict, bool)):
        raise ValidationError("not a sort value")
    return field.to_python(value)


def _beyond(fields: tuple[str, ...], values: list[Any], op: str, *, inclusive: bool = False) -> Q:
    """Rows past `values` in the order of `fields` (`lt`: older, `gt`: newer; `inclusive`:
    the row at `values` too), compared field by field; the first field's bound lets an index
    range start there."""
    past = Q()
    for i, name in enumerate(fields):
        last_op = f"{op}e" if inclusive and i == len(fields) - 1 else op
        equal = dict(zip(fields[:i], values[:i], strict=True))
        past |= Q(**equal, **{f"{name}__{last_op}": values[i]})
    if len(fields) == 1:
        return past
    return Q(**{f"{fields[0]}__{op}e": values[0]}) & past
