"""End-to-end tests share the browser fixtures of the web tests."""

from tests.web.conftest import browser, playwright, screenshot

__all__ = ["browser", "playwright", "screenshot"]
