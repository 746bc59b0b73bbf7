from django.urls import path

from audit import views


def patterns(access):
    """The review URLs, each behind `access`: config passes the admin-only membership check
    (audit imports no other app, so it cannot apply it itself)."""
    return (
        [
            path("", access(views.review), name="review"),
            path("verify/", access(views.verify), name="verify"),
            path("export.csv", access(views.export_csv), name="export_csv"),
            path("export.jsonl", access(views.export_jsonl), name="export_jsonl"),
        ],
        "audit",
    )
