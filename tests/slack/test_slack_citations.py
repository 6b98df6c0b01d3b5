"""A Slack reply's sources are links a crew member's browser opens (signed, no key)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from channels.app.runtime import Bosun
from records import Role
from tests import factories
from tests.slack.conftest import PUBLIC_URL, Crew, dm, post_event, unique
from tests.slack.fake_slack import FakeSlack

pytestmark = pytest.mark.slow(reason="ingests a manual to cite")

MANUAL = """# Fuel system

## Bleeding the fuel system

Open the vent screw on the fuel filter housing and run the priming pump until fuel flows
free of air bubbles, then close the vent screw.
"""


@pytest.fixture(scope="module")
def bosun(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bosun]:
    home = tmp_path_factory.mktemp("slack_cite_home")
    with factories.ready_bosun(home, public_url=PUBLIC_URL) as running:
        yield running


def test_sources_link_to_the_document_without_a_key(
    client: TestClient, fake_slack: FakeSlack, crew: Crew
) -> None:
    uploaded = client.post(
        "/v1/documents",
        headers=crew.org.auth(Role.admin),
        files={"file": ("fuel.md", MANUAL.encode(), "text/markdown")},
        data={"kind": "procedure"},
    )
    assert uploaded.status_code == 201, uploaded.text
    doc_id = uploaded.json()["document"]["id"]
    channel = unique("D")
    post_event(client, dm(crew.slack_user, channel, "how do I bleed the fuel system?"))
    (posted,) = fake_slack.wait_for(
        "chat.postMessage", lambda c: c.params["channel"] == channel, timeout=120
    )
    sources = [b for b in posted.params["blocks"] if b["type"] == "context"]
    assert sources, posted.params["blocks"]
    text = sources[0]["elements"][0]["text"]
    links = re.findall(r"<(https://[^|>]+)\|([^>]+)>", text)
    assert links, text
    url, label = links[0]
    assert url.startswith(f"{PUBLIC_URL}/v1/chat/documents/{doc_id}?sig=")
    assert "fuel.md" in label or "Fuel" in label
    opened = client.get(url.removeprefix(PUBLIC_URL).split("#")[0])
    assert opened.status_code == 200 and b"vent screw" in opened.content
