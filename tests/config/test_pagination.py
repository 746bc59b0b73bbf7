"""config/pagination.py on its own, over real rows: the order, the three directions, ties,
the end of the list, and every way a cursor can be one the list did not give."""

from datetime import timedelta

import pytest
from django.utils import timezone

from config.pagination import (
    ENDING,
    NEWER,
    OLDER,
    InvalidCursor,
    Keyset,
    Page,
    with_cursor,
)
from keys.models import NEWEST_FIRST, ApiKey

SCOPE = "test"


@pytest.fixture
def rows(alice, development):
    """23 keys, newest first; 15 of them created at the same instant."""
    made = [ApiKey.issue(environment=development, name=f"k{n}")[0] for n in range(23)]
    moment = timezone.now() - timedelta(minutes=5)
    ApiKey.objects.filter(pk__in=[k.pk for k in made[4:19]]).update(created_at=moment)
    return list(ApiKey.objects.order_by("-created_at", "-id"))


def page(cursor="", size=5):
    return NEWEST_FIRST.page(ApiKey.objects.all(), cursor, scope=SCOPE, size=size)


def test_it_walks_every_row_once_both_ways(rows):
    pages = [page()]
    while pages[-1].older:
        pages.append(page(pages[-1].older))
    assert [len(p.items) for p in pages] == [5, 5, 5, 5, 3]
    assert [r for p in pages for r in p.items] == rows
    assert pages[0].is_first and not pages[1].is_first
    back = [pages[-1]]
    while not back[-1].is_first:
        back.append(page(back[-1].newer))
    assert [p.items for p in back] == [p.items for p in reversed(pages)]


def test_near_the_top_the_newer_page_is_the_first_full(rows):
    second = page(page().older)
    assert page(NEWEST_FIRST.cursor(NEWER, rows[2], SCOPE)).items == rows[:5]
    assert page(second.newer).items == rows[:5]
    assert page(second.newer).cursor == ""  # the first page: nothing to carry


def test_past_the_end_the_way_back_includes_the_cursors_row(rows):
    beyond = page(NEWEST_FIRST.cursor(OLDER, rows[-1], SCOPE))
    assert beyond.items == []
    assert not beyond.is_first and beyond.older is None
    assert page(beyond.newer).items == rows[-5:]
    assert page(NEWEST_FIRST.cursor(ENDING, rows[10], SCOPE)).items == rows[6:11]


def test_a_cursor_holds_values_so_it_survives_its_row(rows):
    cursor = NEWEST_FIRST.cursor(OLDER, rows[7], SCOPE)
    ApiKey.objects.filter(pk=rows[7].pk).update(revoked_at=timezone.now())
    assert page(cursor).items == rows[8:13]
    assert page(cursor).cursor == cursor


@pytest.mark.parametrize(
    "payload",
    [
        ["x", "2026-01-01T00:00:00+00:00", 1],  # no such direction
        ["o", "2026-01-01T00:00:00+00:00"],  # too few values
        ["o", "2026-01-01T00:00:00+00:00", 1, 2],  # too many
        ["o", "yesterday", 1],  # not a time
        ["o", "2026-01-01T00:00:00+00:00", "one"],  # not an id
        ["o", None, 1],
        ["o", "2026-01-01T00:00:00+00:00", [1]],
        "o",
    ],
)
def test_a_signed_cursor_of_the_wrong_shape_is_refused(rows, payload):
    """Only Keydesk signs cursors; still, one it cannot read is refused, never a 500."""
    cursor = NEWEST_FIRST._signer(SCOPE).sign_object(payload)
    with pytest.raises(InvalidCursor):
        page(cursor)


def test_a_cursor_is_bound_to_its_list_and_scope(rows):
    cursor = NEWEST_FIRST.cursor(OLDER, rows[4], SCOPE)
    with pytest.raises(InvalidCursor):
        NEWEST_FIRST.page(ApiKey.objects.all(), cursor, scope="another")
    with pytest.raises(InvalidCursor):
        Keyset("other", NEWEST_FIRST.fields).page(ApiKey.objects.all(), cursor, scope=SCOPE)
    for forged in (cursor[:-1], cursor.replace(":", "", 1), "a:b:c"):
        with pytest.raises(InvalidCursor):
            page(forged)


def test_the_dashboard_gets_the_first_page_for_a_refused_cursor(rows):
    shown = NEWEST_FIRST.page_or_first(
        ApiKey.objects.all(), "tampered", scope=SCOPE, url="/keys/?status=active", size=5
    )
    assert shown.refused and shown.is_first
    assert shown.items == rows[:5]
    assert shown.older_url == f"/keys/?status=active&{shown.older_url.split('&', 1)[1]}"
    assert shown.current_url == "/keys/?status=active"


def test_links_add_the_cursor_to_the_lists_url():
    assert with_cursor("/keys/", None) == "/keys/"
    assert with_cursor("/keys/", "a:b") == "/keys/?cursor=a%3Ab"
    assert with_cursor("/keys/?q=x", "a") == "/keys/?q=x&cursor=a"
    page = Page([], older="o1", newer="n1", cursor="c1", url="/audit/")
    assert (page.first_url, page.older_url, page.newer_url, page.current_url) == (
        "/audit/",
        "/audit/?cursor=o1",
        "/audit/?cursor=n1",
        "/audit/?cursor=c1",
    )
