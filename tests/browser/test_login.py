"""The log-in page in a real browser: keyboard log-in, wrong password, language before
log-in, no accessibility violation, no CSP violation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from storekit import PASSWORD


def test_log_in_by_keyboard_and_out(live: Any, page: Any) -> None:
    server, _ = live
    page.goto(server.url + "/")
    assert page.url.startswith(server.url + "/login")
    page.get_by_label("User name").fill("nurse")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(server.url + "/")
    assert "Nina Chen" in page.inner_text("header")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login")
    assert page.console_errors == []


def test_a_wrong_password_is_said_beside_the_form(live: Any, page: Any) -> None:
    server, _ = live
    page.goto(server.url + "/login")
    page.get_by_label("User name").fill("drwang")
    page.get_by_label("Password", exact=True).fill("not the password 1")
    page.get_by_role("button", name="Log in").click()
    assert "unknown user name or wrong password" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("User name").input_value() == "drwang"


def test_the_log_in_page_in_chinese_before_log_in(live: Any, page: Any) -> None:
    server, _ = live
    page.goto(server.url + "/login?lang=zh-CN")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.get_by_role("heading", level=1).inner_text() == "登录"


def test_the_log_in_page_has_no_serious_accessibility_violation(
        live: Any, page: Any, axe: Callable[[Any], list[Any]]) -> None:
    server, _ = live
    page.goto(server.url + "/login")
    assert axe(page) == []
