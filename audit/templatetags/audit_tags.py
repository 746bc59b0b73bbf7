from typing import Any

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def filter_url(context: template.Context, **changes: Any) -> str:
    """The review page narrowed by `changes` (e.g. `actor=event.actor_token`), from its
    first page, keeping the filters already in force."""
    return context["form"].url(**changes)
