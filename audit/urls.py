from collections.abc import Callable

from django.http import HttpResponseBase
from django.urls import URLPattern, path

from audit import views

type View = Callable[..., HttpResponseBase]
type ViewDecorator = Callable[[View], View]


def patterns(access: ViewDecorator, sensitive: ViewDecorator) -> tuple[list[URLPattern], str]:
    """The review URLs, each behind `access`, the exports behind `sensitive` too: config
    passes the admin-only membership check and the recent sign-in check (audit imports no
    other app, so it cannot apply them itself)."""
    return (
        [
            path("", access(views.review), name="review"),
            path("verify/", access(views.verify), name="verify"),
            path("export.csv", access(sensitive(views.export_csv)), name="export_csv"),
            path("export.jsonl", access(sensitive(views.export_jsonl)), name="export_jsonl"),
        ],
        "audit",
    )
