"""End-to-end tests share the browser fixtures of the web tests."""

from tests.web.conftest import browser, screenshot

__all__ = ["browser", "screenshot"]
