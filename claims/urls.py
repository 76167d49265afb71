from django.urls import path

from .apis import ClaimCancelApi, ClaimCreateApi, ClaimDetailApi, ClaimVoucherApi, StatusLinksApi

urlpatterns = [
    path("claims/", ClaimCreateApi.as_view(), name="claim-create"),
    path("status-links/", StatusLinksApi.as_view(), name="status-links"),
    path("claims/<str:reference>/", ClaimDetailApi.as_view(), name="claim-detail"),
    path("claims/<str:reference>/cancel/", ClaimCancelApi.as_view(), name="claim-cancel"),
    path("claims/<str:reference>/voucher.png", ClaimVoucherApi.as_view(), name="claim-voucher"),
]
