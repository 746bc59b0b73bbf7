from django.conf import settings
from django.db import models


class OneTimePassword(models.Model):
    """The account still has the password an admin was shown when adding it: its owner
    chooses their own before anything else (dashboard.middleware), and this row goes."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="one_time_password",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"one-time password of {self.user}"
