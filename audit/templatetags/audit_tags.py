from typing import Any

from django import template

from audit.models import EventPage

register = template.Library()


@register.simple_tag(takes_context=True)
def filter_url(context: template.Context, **changes: Any) -> str:
    """The review page narrowed by `changes` (e.g. `actor=event.actor_token`), from its
    first page, keeping the filters already in force."""
    return context["form"].filter_url(**changes)


@register.simple_tag(takes_context=True)
def older_url(context: template.Context, page: EventPage) -> str:
    return context["form"].url(before=page.older, after=None)


@register.simple_tag(takes_context=True)
def newer_url(context: template.Context, page: EventPage) -> str:
    return context["form"].url(after=page.newer, before=None)
