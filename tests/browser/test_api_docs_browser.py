"""The API docs in a real browser with no way out to the internet: Swagger UI draws the whole schema
from this server's files, within the pages' Content-Security-Policy."""

from pathlib import Path

import pytest

if not Path("/usr/bin/chromium").exists():
    pytest.skip(
        "/usr/bin/chromium is missing: install Debian's chromium (make browser)", allow_module_level=True
    )
pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install -e '.[dev]')")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_docs_render_offline_within_the_content_security_policy(live_server, browser_page):
    page = browser_page
    elsewhere: list[str] = []
    problems: list[str] = []

    def only_this_server(route):
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_this_server)
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))

    page.goto(f"{live_server.url}/api/docs/")
    assert page.locator(".swagger-ui .info .title").inner_text().startswith("Recall claims API")
    page.locator(".opblock-summary-path[data-path='/api/v1/claims/']").first.wait_for()
    assert page.get_by_role("button", name="Authorize").is_visible()

    assert elsewhere == []
    assert problems == []
