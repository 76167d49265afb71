"""The customer pages, served at the site's root."""

from django.urls import path

from . import views

app_name = "pages"

urlpatterns = [
    path("", views.index, name="index"),
    path("claim/", views.claim_create, name="claim"),
    path("claim/submitted/", views.claim_submitted, name="claim-submitted"),
    path("status/", views.claim_status, name="status"),
    path("status/links/", views.status_links, name="status-links"),
    path("status/link/<str:link>/", views.claim_status_link, name="status-link"),
]
