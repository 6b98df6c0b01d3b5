"""TelegramNotifier posts notices; their Confirm button comes back to the polling bot."""

from __future__ import annotations

import asyncio

from assistant import Notice
from channels.app.runtime import Bosun
from channels.chat.telegram import TelegramNotifier, TelegramPolling, TelegramSettings
from channels.services.chat import open_gateway
from records import Role
from tests.api.conftest import Tenant
from tests.telegram.bot_api import FakeBotApi
from tests.telegram.conftest import PUBLIC_URL, link
from tests.telegram.test_polling import buttons, faults_of, to


def test_alarm_notice_with_buttons_is_confirmed_from_the_crew_chat(
    polling: TelegramPolling,
    bot_api: FakeBotApi,
    home_bosun: Bosun,
    org: Tenant,
    tg_settings: TelegramSettings,
) -> None:
    gateway = open_gateway(home_bosun)
    officer = 5201
    link(home_bosun, org, Role.officer, officer)
    speaker = gateway.identify("telegram", str(officer))
    assert speaker is not None
    proposed = gateway.turn(speaker, "ME1 is leaking fuel", conversation="alarm-source")
    assert proposed.proposed_action is not None
    action_id = proposed.proposed_action.id

    crew_chat = -100_555
    notifier = TelegramNotifier(tg_settings, public_url=PUBLIC_URL)
    alarm = Notice(
        kind="alarm",
        vessel_id=org.vessel_id,
        text="ME1 exhaust gas <temperature> 495 °C above its 480 °C limit",
        action_id=action_id,
        link="/v1/sensors/1",
    )
    plain = Notice(kind="overdue", vessel_id=org.vessel_id, text="Work order #3 is overdue")

    async def post() -> None:
        await notifier.notify(str(crew_chat), alarm)
        await notifier.notify(str(crew_chat), plain)
        await notifier.aclose()

    asyncio.run(post())
    first, second = bot_api.wait_for("sendMessage", to(crew_chat), count=2)
    assert first["parse_mode"] == "HTML"
    assert first["text"].startswith("🚨 ME1 exhaust gas &lt;temperature&gt; 495")
    assert f'href="{PUBLIC_URL}/v1/sensors/1"' in first["text"]
    assert buttons(first["result"]) == [f"a:y:{action_id}", f"a:n:{action_id}"]
    assert second["text"].startswith("⏰") and "reply_markup" not in second

    before = len(faults_of(home_bosun, org))
    bot_api.push(bot_api.press(officer, first["result"], f"a:y:{action_id}"))
    done = bot_api.wait_for("sendMessage", to(crew_chat), count=3)[-1]
    filed = faults_of(home_bosun, org)[before:]
    assert len(filed) == 1 and f"#{filed[0].id}" in done["text"]
    assert filed[0].equipment_id == org.equipment_ids["601.1"]
    assert buttons(bot_api.sent[first["result"]["message_id"]]) == []
