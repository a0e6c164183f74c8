"""What browser tests share: logging in through the form, as a person does."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.factories import PASSWORD


def log_in(page: Page, url: str, email: str, password: str = PASSWORD, remember: bool = False) -> None:
    """Log in on the login page of the server at `url` and wait for the dashboard it leads to."""
    page.goto(url + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    if remember:
        page.check("input[name=remember]")
    page.click("button[type=submit]")
    page.wait_for_url(url + "/dashboard")
