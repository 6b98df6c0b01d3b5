"""The real python-telegram-bot Application long-polling a local Bot API server."""

from __future__ import annotations

import html
import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from channels.app.runtime import Bosun
from channels.chat.telegram import TelegramPolling
from channels.http.app import create_app
from records import Fault, Message, Role, faults, system_caller
from tests.api.conftest import Tenant
from tests.api.test_knowledge_and_chat import MANUAL
from tests.telegram.bot_api import FakeBotApi
from tests.telegram.conftest import PUBLIC_URL, link, link_code

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8cfc0f01f0005000201a5f6a4400000000049454e44ae426082"
)


def to(chat_id: int) -> Any:
    return lambda p: int(p["chat_id"]) == chat_id


def buttons(message: dict[str, Any]) -> list[str]:
    markup = message.get("reply_markup") or {"inline_keyboard": []}
    return [b["callback_data"] for row in markup["inline_keyboard"] for b in row]


def faults_of(bosun: Bosun, org: Tenant) -> list[Fault]:
    with bosun.db.transaction(org.org_id) as s:
        found = faults.list_faults(s, system_caller(org.org_id), limit=200).items
        s.expunge_all()
        return list(found)


def test_unlinked_user_gets_instructions_then_links(
    polling: TelegramPolling, bot_api: FakeBotApi, home_bosun: Bosun, org: Tenant
) -> None:
    user = 5001
    bot_api.push(bot_api.message(user, "ME1 exhaust temperature?"))
    [help_text] = bot_api.wait_for("sendMessage", to(user))
    assert "/link CODE" in help_text["text"]
    assert "Main engine" not in help_text["text"] and "ME1_EXH_T" not in help_text["text"]

    bot_api.push(bot_api.message(user, "/link WRONG-CODE"))
    refused = bot_api.wait_for("sendMessage", to(user), count=2)[-1]
    assert "did not work" in refused["text"]

    code = link_code(home_bosun, org, Role.crew)
    bot_api.push(bot_api.message(user, f"/link {code}"))
    linked = bot_api.wait_for("sendMessage", to(user), count=3)[-1]
    assert "Linked" in linked["text"] and "crew user" in linked["text"]

    bot_api.push(bot_api.message(user, "/help"))
    helped = bot_api.wait_for("sendMessage", to(user), count=4)[-1]
    assert "Hello crew user" in helped["text"] and "/link CODE" in helped["text"]

    bot_api.push(bot_api.message(user, "list open faults"))
    answer = bot_api.wait_for("sendMessage", to(user), count=5)[-1]
    assert answer["parse_mode"] == "HTML"
    assert [b[:2] for b in buttons(answer["result"])] == ["f:", "f:"]
    assert bot_api.calls_of("sendChatAction", to(user))
    # getUpdates was long-polled with a timeout and confirmed updates by offset.
    polls = bot_api.calls_of("getUpdates")
    assert any(float(p.get("timeout") or 0) > 0 for p in polls)
    assert any(int(p.get("offset") or 0) > 1 for p in polls)


def test_fault_report_confirmed_twice_is_filed_once(
    polling: TelegramPolling, bot_api: FakeBotApi, home_bosun: Bosun, org: Tenant
) -> None:
    user = 5002
    link(home_bosun, org, Role.officer, user)
    before = len(faults_of(home_bosun, org))
    bot_api.push(bot_api.message(user, "ME1 is leaking fuel"))
    [proposal] = bot_api.wait_for("sendMessage", to(user))
    assert "Proposed:" in proposal["text"]
    datas = buttons(proposal["result"])
    confirm = next(d for d in datas if d.startswith("a:y:"))
    assert any(d.startswith("a:n:") for d in datas) and any(d.startswith("f:y:") for d in datas)

    sent = proposal["result"]
    bot_api.push(bot_api.press(user, sent, confirm))
    bot_api.push(bot_api.press(user, sent, confirm))  # a second tap before the keyboard went
    answers = bot_api.wait_for("answerCallbackQuery", count=2)
    assert {a.get("text") for a in answers[-2:]} == {"Confirmed."}
    done = bot_api.wait_for("sendMessage", to(user), count=3)[1:]
    assert any("#" in d["text"] for d in done)
    assert bot_api.calls_of(
        "editMessageReplyMarkup", lambda p: int(p["message_id"]) == sent["message_id"]
    )
    # The Confirm / Cancel row is gone, the feedback row stays.
    assert all(d.startswith("f:") for d in buttons(bot_api.sent[sent["message_id"]]))

    filed = faults_of(home_bosun, org)[before:]
    assert len(filed) == 1, [f.title for f in filed]
    assert filed[0].equipment_id == org.equipment_ids["601.1"]
    assert filed[0].reported_via == "telegram"


def test_feedback_buttons_mark_the_reply(
    polling: TelegramPolling, bot_api: FakeBotApi, home_bosun: Bosun, org: Tenant
) -> None:
    user = 5003
    link(home_bosun, org, Role.crew, user)
    bot_api.push(bot_api.message(user, "list open faults"))
    [answer] = bot_api.wait_for("sendMessage", to(user))
    unhelpful = next(d for d in buttons(answer["result"]) if d.startswith("f:n:"))
    bot_api.push(bot_api.press(user, answer["result"], unhelpful))
    bot_api.wait_for("answerCallbackQuery", lambda p: p.get("text") == "Thanks: noted.")
    message_id = int(unhelpful.split(":")[2])
    with home_bosun.db.transaction(org.org_id) as s:
        assert s.scalar(select(Message.feedback).where(Message.id == message_id)) == "unhelpful"
    # A stranger's press is refused without data.
    bot_api.push(bot_api.press(9999, answer["result"], unhelpful))
    refused = bot_api.wait_for(
        "answerCallbackQuery", lambda p: "Link your Telegram" in str(p.get("text"))
    )
    assert refused[0]["show_alert"] in (True, "true")


def test_photo_then_report_is_attached_to_the_fault(
    polling: TelegramPolling, bot_api: FakeBotApi, home_bosun: Bosun, org: Tenant
) -> None:
    user = 5004
    link(home_bosun, org, Role.officer, user)
    file_id = bot_api.add_file(PNG, "photos/file_7.png")
    photo = [{"file_id": file_id, "file_unique_id": "leak7", "width": 1, "height": 1}]
    bot_api.push(bot_api.message(user, photo=photo))
    [kept] = bot_api.wait_for("sendMessage", to(user))
    assert "attached to the fault you report next" in kept["text"]
    assert bot_api.calls_of("download", lambda p: p["path"] == "photos/file_7.png")

    bot_api.push(bot_api.message(user, "FP is leaking water from the gland"))
    proposal = bot_api.wait_for("sendMessage", to(user), count=2)[-1]
    confirm = next(d for d in buttons(proposal["result"]) if d.startswith("a:y:"))
    bot_api.push(bot_api.press(user, proposal["result"], confirm))
    done = bot_api.wait_for("sendMessage", to(user), count=3)[-1]
    fault = next(f for f in faults_of(home_bosun, org) if f"#{f.id}" in done["text"])
    assert fault.equipment_id == org.equipment_ids["602"]
    assert [a["content_type"] for a in fault.attachments] == ["image/jpeg"]
    stored = home_bosun.settings.home / "uploads" / fault.attachments[0]["path"]
    assert stored.read_bytes() == PNG


def test_photo_with_caption_report(
    polling: TelegramPolling, bot_api: FakeBotApi, home_bosun: Bosun, org: Tenant
) -> None:
    user = 5005
    link(home_bosun, org, Role.officer, user)
    data = PNG + b"caption-variant"
    file_id = bot_api.add_file(data, "documents/leak.png")
    document = {
        "file_id": file_id,
        "file_unique_id": "doc1",
        "file_name": "leak.png",
        "mime_type": "image/png",
    }
    bot_api.push(bot_api.message(user, document=document, caption="ME1 is leaking fuel badly"))
    [proposal] = bot_api.wait_for("sendMessage", to(user))
    confirm = next(d for d in buttons(proposal["result"]) if d.startswith("a:y:"))
    bot_api.push(bot_api.press(user, proposal["result"], confirm))
    done = bot_api.wait_for("sendMessage", to(user), count=2)[-1]
    fault = next(f for f in faults_of(home_bosun, org) if f"#{f.id}" in done["text"])
    assert [(a["name"], a["size"]) for a in fault.attachments] == [("leak.png", len(data))]


def test_group_needs_a_mention_or_a_reply(
    polling: TelegramPolling, bot_api: FakeBotApi, home_bosun: Bosun, org: Tenant
) -> None:
    group, user = -100_777, 5006
    link(home_bosun, org, Role.crew, user)
    bot_api.push(bot_api.message(user, "lunch is at noon", chat_id=group))
    bot_api.push(bot_api.message(user, "@bosun_test_bot list open faults", chat_id=group))
    [answer] = bot_api.wait_for("sendMessage", to(group))
    bot_api.push(
        bot_api.message(
            user, "and the fire pump?", chat_id=group, reply_to_message=answer["result"]
        )
    )
    second = bot_api.wait_for("sendMessage", to(group), count=2)
    # The chatter got no reply: exactly the mention and the reply were answered, in order.
    assert len(bot_api.calls_of("sendMessage", to(group))) == 2
    assert (
        second[0]["reply_parameters"]["message_id"] != second[1]["reply_parameters"]["message_id"]
    )


def test_citations_are_signed_links_that_open_the_document(
    polling: TelegramPolling, bot_api: FakeBotApi, home_bosun: Bosun, org: Tenant
) -> None:
    with TestClient(create_app(home_bosun)) as client:
        uploaded = client.post(
            "/v1/documents",
            headers=org.auth(Role.admin),
            files={"file": ("fuel.md", MANUAL.encode(), "text/markdown")},
            data={"kind": "procedure"},
        )
        assert uploaded.status_code == 201, uploaded.text
        doc_id = uploaded.json()["document"]["id"]
        user = 5008
        link(home_bosun, org, Role.chief_engineer, user)
        bot_api.push(bot_api.message(user, "how do I bleed the fuel system?"))
        [answer] = bot_api.wait_for("sendMessage", to(user))
        hrefs = re.findall(r'<a href="([^"]+)">', answer["text"])
        mine = [h for h in hrefs if f"/v1/chat/documents/{doc_id}?sig=" in h]
        assert mine and mine[0].startswith(PUBLIC_URL), answer["text"]
        # The reader's browser has no API key: the signed link alone opens the file.
        path = html.unescape(mine[0]).removeprefix(PUBLIC_URL).split("#")[0]
        opened = client.get(path)
        assert opened.status_code == 200 and b"vent screw" in opened.content
