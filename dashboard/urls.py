from allauth.account import views as account_views
from django.contrib.auth.decorators import login_required
from django.urls import path

from dashboard import member_views, project_views, views
from environments.urls import ENVIRONMENT, PROJECT

app_name = "dashboard"
urlpatterns = [
    path("", views.home, name="home"),
    # allauth's views under our names; these come before allauth's own URLs (config/urls.py).
    path("accounts/login/", account_views.login, name="login"),
    path("accounts/logout/", views.sign_out, name="logout"),
    path("accounts/signup/", views.SignUpView.as_view(), name="signup"),
    path(
        "accounts/password/",
        login_required(views.PasswordChangeView.as_view()),
        name="password_change",
    ),
    # Keydesk sends no email, so allauth's reset by email link is replaced by this page.
    path("accounts/password/reset/", views.password_reset, name="password_reset"),
    path("accounts/reauthenticate/", login_required(views.reauthenticate), name="reauthenticate"),
    # allauth's address management would add addresses Keydesk can never verify: read-only.
    path("accounts/email/", login_required(views.email_addresses), name="email"),
    path("quickstart/", views.quickstart, name="quickstart"),
    path("quickstart/project/", views.quickstart_project, name="quickstart_project"),
    path("quickstart/environment/", views.quickstart_environment, name="quickstart_environment"),
    path("settings/", views.organization_settings, name="settings"),
    path(f"{PROJECT}rename/", project_views.project_rename, name="project_rename"),
    path(f"{PROJECT}archive/", project_views.project_archive, name="project_archive"),
    path(f"{ENVIRONMENT}rename/", project_views.environment_rename, name="environment_rename"),
    path(f"{ENVIRONMENT}tags/", project_views.environment_tags, name="environment_tags"),
    path(f"{ENVIRONMENT}archive/", project_views.environment_archive, name="environment_archive"),
    path("members/", member_views.member_list, name="members"),
    path("members/new/", member_views.member_add, name="member_add"),
    path("members/<int:membership_id>/role/", member_views.member_role, name="member_role"),
    path("members/<int:membership_id>/remove/", member_views.member_remove, name="member_remove"),
]
