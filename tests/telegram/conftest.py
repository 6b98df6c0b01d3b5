"""Fixtures: a real Bosun over a temp SQLite home, a local Bot API, the real bot polling it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from channels.app.runtime import Bosun, open_bosun
from channels.app.settings import Settings
from channels.chat.telegram import TelegramBot, TelegramPolling, TelegramSettings
from channels.chat.voice import WhisperTranscriber
from channels.services.chat import open_gateway
from records import ALL_TENANTS, Role, User, system_caller, users
from tests.api.conftest import Tenant, make_tenant
from tests.telegram.bot_api import FakeBotApi

PUBLIC_URL = "https://bosun.example.test"


@pytest.fixture(scope="package")
def bot_api() -> Iterator[FakeBotApi]:
    api = FakeBotApi()
    api.start()
    yield api
    api.stop()


@pytest.fixture(scope="package")
def home_bosun(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bosun]:
    home = Path(tmp_path_factory.mktemp("telegram_home"))
    running = open_bosun(Settings(home=home, public_url=PUBLIC_URL))
    running.startup.ready.set()
    yield running
    running.close()


@pytest.fixture(scope="package")
def org(home_bosun: Bosun) -> Tenant:
    return make_tenant(home_bosun)


@pytest.fixture(scope="package")
def tg_settings(bot_api: FakeBotApi) -> TelegramSettings:
    return TelegramSettings(bot_token=bot_api.token, webhook_secret=None, api_url=bot_api.url)


@pytest.fixture(scope="package")
def transcriber(tmp_path_factory: pytest.TempPathFactory) -> WhisperTranscriber:
    """The real faster-whisper transcriber (loaded on the first voice note only)."""
    return WhisperTranscriber(tmp_path_factory.mktemp("models") / "whisper-base")


@pytest.fixture(scope="package")
def polling(
    home_bosun: Bosun, tg_settings: TelegramSettings, transcriber: WhisperTranscriber
) -> Iterator[TelegramPolling]:
    bot = TelegramBot(
        open_gateway(home_bosun), tg_settings, transcriber=transcriber, public_url=PUBLIC_URL
    )
    runner = TelegramPolling(bot, poll_timeout_s=2)
    runner.start()
    assert runner.wait_started(60), runner.error
    yield runner
    runner.stop()
    assert not runner.running


def link_code(bosun: Bosun, org: Tenant, role: Role) -> str:
    """Issue a one-time link code the way `bosun users link-code` does."""
    caller = system_caller(org.org_id)
    with bosun.db.transaction(org.org_id) as s:
        user = s.get(User, org.user_ids[role])
        assert user is not None
        return users.issue_link_code(s, caller, user=user)


def link(bosun: Bosun, org: Tenant, role: Role, telegram_user: int) -> None:
    """Tie a Telegram account to the org's user of ``role`` (what /link does)."""
    code = link_code(bosun, org, role)
    with bosun.db.transaction(ALL_TENANTS) as s:
        users.redeem_link_code(s, code, channel="telegram", external_id=str(telegram_user))
