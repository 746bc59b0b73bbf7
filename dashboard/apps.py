from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "dashboard"

    def ready(self) -> None:
        from dashboard.accounts import connect_sso_audit, connect_two_factor_audit

        connect_two_factor_audit()
        connect_sso_audit()
