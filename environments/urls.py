from django.urls import path

from environments import views

# Where a project's and an environment's pages live; other apps hang theirs below these.
PROJECT = "projects/<slug:slug>/"
ENVIRONMENT = "projects/<slug:project_slug>/environments/<slug:environment_slug>/"

app_name = "environments"
urlpatterns = [
    path("projects/", views.project_list, name="projects"),
    path(PROJECT, views.project_detail, name="project"),
    path(f"{PROJECT}environments/new/", views.environment_create, name="environment_create"),
    path("organizations/switch/", views.switch_organization, name="switch_organization"),
]
