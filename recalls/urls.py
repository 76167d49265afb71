from django.urls import path

from .apis import RecallListApi, SerialCheckApi

urlpatterns = [
    path("recalls/", RecallListApi.as_view(), name="recall-list"),
    path("serial-checks/", SerialCheckApi.as_view(), name="serial-check"),
]
