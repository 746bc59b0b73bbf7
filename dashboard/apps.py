from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "dashboard"

    def ready(self):
        from dashboard.accounts import connect_sso_audit, connect_two_factor_audit

        connect_two_factor_audit()
        connect_sso_audit()
