from django.urls import path

from audit import webhook_views as views


def patterns(access):
    """The webhook settings URLs, each behind `access` (config passes the admin check)."""
    return (
        [
            path("", access(views.webhook_list), name="list"),
            path("new/", access(views.webhook_create), name="create"),
            path("<int:webhook_id>/", access(views.webhook_detail), name="detail"),
            path(
                "<int:webhook_id>/deliveries/<int:delivery_id>/redeliver/",
                access(views.delivery_redeliver),
                name="redeliver",
            ),
        ],
        "webhooks",
    )
