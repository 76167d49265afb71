"""The API's documentation page: Swagger UI from this server's own static files, nothing from elsewhere."""

import re

import pytest
from django.contrib.staticfiles import finders

URL_IN_PAGE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")


def test_the_docs_page_loads_swagger_ui_from_this_server_only(client):
    page = client.get("/api/docs/").content.decode()
    urls = URL_IN_PAGE.findall(page)
    assert any(url.endswith("swagger-ui-bundle.js") for url in urls)
    assert all(url.startswith("/") and not url.startswith("//") for url in urls), urls


def test_the_docs_setup_script_sends_the_browser_nowhere_else(client):
    script = client.get("/api/docs/", {"script": ""})
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    body = script.content.decode()
    assert "http://" not in body and "https://" not in body


def test_the_files_the_docs_page_names_are_static_files_of_the_project(client, settings):
    page = client.get("/api/docs/").content.decode()
    static = [url for url in URL_IN_PAGE.findall(page) if not url.startswith("/api/")]
    assert len(static) == 4  # the favicon, the stylesheet and two scripts
    for url in static:
        assert url.startswith(settings.STATIC_URL), url
        assert finders.find(url.removeprefix(settings.STATIC_URL)), url


@pytest.mark.parametrize("url", ["/api/docs/", "/api/docs/?script=", "/api/schema/"])
def test_options_on_the_docs_and_the_schema_names_the_methods(client, url):
    response = client.options(url)
    assert response.status_code == 200
    assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "OPTIONS"}


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_other_methods_on_the_docs_are_a_json_405(client, method):
    response = getattr(client, method)("/api/docs/")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
