"""Replies in Telegram's HTML: escaped text, citation links, buttons, the length limit."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from assistant import ProposedAction, TurnResult
from channels.chat.telegram import TelegramSettings, conversation_key
from channels.chat.telegram.render import MAX_TEXT, Button, fit, keyboard, reply_html
from knowledge import Citation


def _result(reply: str, **extra: object) -> TurnResult:
    return TurnResult(reply=reply, conversation_id=1, message_id=77, outcome="answer", **extra)  # type: ignore[arg-type]


def test_reply_escapes_text_and_links_citations() -> None:
    cites = [
        Citation(3, "ME <manual>", 12, "Fuel & injection", "/v1/documents/3/file#page=12"),
        Citation(3, "ME <manual>", 12, "Fuel & injection", "/v1/documents/3/file#page=12"),
        Citation(4, "Pump notes", None, None, "/v1/documents/4/file"),
    ]
    html = reply_html(
        _result("Close valve <b>V1</b> & vent", citations=cites),
        "https://bosun.example/",
        transcript="close <valve>",
    )
    assert html.startswith("🎤 <i>close &lt;valve&gt;</i>")
    assert "Close valve &lt;b&gt;V1&lt;/b&gt; &amp; vent" in html
    assert (
        '1. <a href="https://bosun.example/v1/documents/3/file#page=12">'
        "ME &lt;manual&gt;, p. 12 — Fuel &amp; injection</a>"
    ) in html
    assert '2. <a href="https://bosun.example/v1/documents/4/file">Pump notes</a>' in html
    assert "3." not in html  # the same page is cited once
    # Without a public URL Telegram would refuse a relative link: plain text instead.
    assert "<a " not in reply_html(_result("x", citations=cites), None)


def test_buttons_and_callback_data() -> None:
    action = ProposedAction(5, "report_fault", "Report <fault>", {}, "2030-01-01", [2])
    result = _result("Shall I file it?", proposed_action=action)
    datas = [b.callback_data for row in keyboard(result).inline_keyboard for b in row]
    assert datas == ["a:y:5", "a:n:5", "f:y:77", "f:n:77"]
    assert all(len(str(d).encode()) <= 64 for d in datas)
    assert "Report &lt;fault&gt;" in reply_html(result, None) and "#2" in reply_html(result, None)
    assert Button.parse("a:y:5") == Button("a", True, 5)
    for bad in (None, "", "a:y:", "x:y:1", "a:maybe:1", "a:y:1:2", "a:y:-1", "f:n:" + "9" * 40):
        assert Button.parse(bad) is None


def test_long_replies_fit_without_broken_markup() -> None:
    long = _result("word & more " * 1000)
    html = reply_html(long, None)
    assert len(html) <= MAX_TEXT and html.endswith(" …")
    assert not html.rstrip(" …").endswith("&amp")
    cut = fit("<b>" + "x" * 5000 + "</b>")
    assert len(cut) <= MAX_TEXT and "<b" not in cut


def test_settings_names_and_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOSUN_TELEGRAM_BOT_TOKEN", "1:abc")
    monkeypatch.setenv("BOSUN_TELEGRAM_WEBHOOK_SECRET", "hook_secret-1")
    monkeypatch.setenv("BOSUN_TELEGRAM_API_URL", "http://127.0.0.1:8081/")
    settings = TelegramSettings()
    assert settings.token == "1:abc" and settings.secret == "hook_secret-1"
    assert not settings.polls
    assert settings.bot_url == "http://127.0.0.1:8081/bot"
    assert settings.file_url == "http://127.0.0.1:8081/file/bot"
    monkeypatch.delenv("BOSUN_TELEGRAM_WEBHOOK_SECRET")
    assert TelegramSettings().polls
    monkeypatch.setenv("BOSUN_TELEGRAM_WEBHOOK_SECRET", "has spaces!")
    with pytest.raises(ValidationError, match="1-256 characters"):
        TelegramSettings()
    assert conversation_key(5, 9, private=True) == "telegram:5"
    assert conversation_key(-5, 9, private=False) == "telegram:-5:9"
