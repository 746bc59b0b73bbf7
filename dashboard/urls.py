from django.urls import path

from dashboard import member_views, project_views, views

app_name = "dashboard"
urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", views.SignInView.as_view(), name="login"),
    path("accounts/logout/", views.sign_out, name="logout"),
    path("accounts/signup/", views.sign_up, name="signup"),
    path("accounts/password/", views.ChangePasswordView.as_view(), name="password_change"),
    path("quickstart/", views.quickstart, name="quickstart"),
    path("quickstart/project/", views.quickstart_project, name="quickstart_project"),
    path("quickstart/environment/", views.quickstart_environment, name="quickstart_environment"),
    path("projects/<slug:slug>/rename/", project_views.project_rename, name="project_rename"),
    path("projects/<slug:slug>/archive/", project_views.project_archive, name="project_archive"),
    path(
        "projects/<slug:project_slug>/environments/<slug:environment_slug>/rename/",
        project_views.environment_rename,
        name="environment_rename",
    ),
    path(
        "projects/<slug:project_slug>/environments/<slug:environment_slug>/archive/",
        project_views.environment_archive,
        name="environment_archive",
    ),
    path("members/", member_views.member_list, name="members"),
    path("members/new/", member_views.member_add, name="member_add"),
    path("members/<int:membership_id>/role/", member_views.member_role, name="member_role"),
    path("members/<int:membership_id>/remove/", member_views.member_remove, name="member_remove"),
]
