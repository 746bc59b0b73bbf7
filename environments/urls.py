from django.urls import path

from environments import views

app_name = "environments"
urlpatterns = [
    path("projects/", views.project_list, name="projects"),
    path("projects/<slug:slug>/", views.project_detail, name="project"),
    path(
        "projects/<slug:slug>/environments/new/",
        views.environment_create,
        name="environment_create",
    ),
    path("organizations/switch/", views.switch_organization, name="switch_organization"),
]
