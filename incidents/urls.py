from django.urls import path

from .apis import IncidentCreateApi

urlpatterns = [
    path("incidents/", IncidentCreateApi.as_view(), name="incident-create"),
]
