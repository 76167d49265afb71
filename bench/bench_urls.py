"""URLs of the HTTP benchmark: the project's, plus a bare one-lookup endpoint to compare against."""

from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from config import urls as project_urls
from recalls.models import RecalledSerial

handler404 = project_urls.handler404
handler500 = project_urls.handler500


class BareLookupApi(APIView):
    """One indexed lookup and nothing else: the floor a serial check is compared with."""

    def post(self, request):
        found = RecalledSerial.objects.filter(
            model_id=request.data["model_id"], serial=request.data["serial"]
        ).exists()
        return Response({"recalled": found})


urlpatterns = [
    *project_urls.urlpatterns,
    path("api/bench/bare-lookup/", BareLookupApi.as_view(), name="bench-bare-lookup"),
]
