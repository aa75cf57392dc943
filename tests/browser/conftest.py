"""Browser tests: Playwright drives Debian's Chromium against a live server.

Screenshots go to var/screenshots/ (git-ignored) so a person can look at what a user saw.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
CHROMIUM = os.environ.get("KNOTWORK_CHROMIUM", "/usr/bin/chromium")

# Data migrations (roles, the knowledge base) are restored after each browser test.
pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run bin/ensure-chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
            ],
        )
        yield browser
        browser.close()


def _open(browser, **options):
    """A fresh browser context whose page fails the test on script errors or CSP refusals."""
    context = browser.new_context(**options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    return context, page, problems


@pytest.fixture
def page(browser):
    context, page, problems = _open(browser, viewport={"width": 1280, "height": 900})
    yield page
    context.close()
    assert not problems, problems


@pytest.fixture
def phone_page(browser):
    context, page, problems = _open(
        browser, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    yield page
    context.close()
    assert not problems, problems


@pytest.fixture
def screenshot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str, *, full_page: bool = True) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


@pytest.fixture
def login(live_server):
    from django.contrib.auth.models import User

    from clinic.two_factor import two_factor_required
    from tests.conftest import totp_code, totp_device

    def log_in(page, username: str, password: str = "a-long-test-password"):
        user = User.objects.get(username=username)
        # Users who must use two-factor get an authenticator app; the test reads its code.
        device = totp_device(user) if two_factor_required(user) else None
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        if device is not None:
            page.wait_for_url(f"{live_server.url}/login/verify/**")
            page.get_by_label("6-digit code").fill(totp_code(device))
            page.get_by_role("button", name="Confirm").click()
        page.wait_for_url(f"{live_server.url}/")

    return log_in
