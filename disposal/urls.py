from django.urls import path

from .apis import DisposalApi, FacilityListApi

public_urlpatterns = [
    path("facilities/", FacilityListApi.as_view(), name="facility-list"),
]
partner_urlpatterns = [
    path("disposals/", DisposalApi.as_view(), name="partner-disposals"),
]
