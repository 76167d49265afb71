from django.urls import path

from .apis import DisposalApi, FacilityListApi, ReturnKitApi

public_urlpatterns = [
    path("facilities/", FacilityListApi.as_view(), name="facility-list"),
    path("claims/<str:reference>/return-kit/", ReturnKitApi.as_view(), name="claim-return-kit"),
]
partner_urlpatterns = [
    path("disposals/", DisposalApi.as_view(), name="partner-disposals"),
]
