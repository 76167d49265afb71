from django.urls import path

from . import views

app_name = "outreach"

urlpatterns = [
    path("r/<str:token>/", views.notice_link, name="notice-link"),
]
