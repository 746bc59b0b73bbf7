from django.urls import URLPattern, path

from audit import webhook_views as views
from audit.urls import ViewDecorator


def patterns(access: ViewDecorator, sensitive: ViewDecorator) -> tuple[list[URLPattern], str]:
    """The webhook settings URLs, each behind `access`, changes behind `sensitive` too (config
    passes the membership check and the recent sign-in check)."""
    return (
        [
            path("", access(views.webhook_list), name="list"),
            path("new/", access(sensitive(views.webhook_create)), name="create"),
            path("<int:webhook_id>/", access(views.webhook_detail), name="detail"),
            path(
                "<int:webhook_id>/deliveries/<int:delivery_id>/redeliver/",
                access(sensitive(views.delivery_redeliver)),
                name="redeliver",
            ),
        ],
        "webhooks",
    )
