"""The Slack bot: a slack-bolt app whose listeners turn Slack events into assistant turns.

One bolt ``App`` serves both HTTP events (``POST /slack/events``, see ``router.py``) and
Socket Mode. It runs with ``process_before_response=False``, the right mode for a
long-running server (not FaaS): bolt answers Slack as soon as a listener calls ``ack()``
(events are acknowledged for us), and the listener goes on in bolt's thread pool to run the
turn and post the reply. Slack's 3-second deadline is therefore met however long a turn
takes. (Lazy listeners exist for FaaS, where nothing may run after the response.)
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
from slack_bolt import Ack, App, BoltContext, BoltRequest, BoltResponse, Respond
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier

from assistant import ChatError, ChatGateway, Speaker, TurnResult, Upload
from channels.chat.slack.blocks import (
    CANCEL,
    CONFIRM,
    HELPFUL,
    MAX_CITATIONS,
    UNHELPFUL,
    after_decision,
    escape,
    plain_text,
    reply_blocks,
)
from channels.chat.slack.dedupe import KeyedLocks, RecentIds
from channels.chat.slack.settings import SlackSettings

log = logging.getLogger(__name__)
T = TypeVar("T")

CHANNEL = "slack"
"""The channel name Slack identities and conversations are stored under."""
MAX_FILE_BYTES = 20 * 1024 * 1024
LINK = re.compile(r"^\s*link\s+([A-Za-z0-9][A-Za-z0-9-]{2,40})\s*$", re.IGNORECASE)
HELP = (
    "Ask me about your vessel's equipment, manuals and faults, or report a fault "
    "(for example `/bosun ME1 is leaking fuel`). In a channel, mention me; in a direct "
    "message, just write. `/bosun link CODE` ties your Slack account to your Bosun user."
)
UNLINKED = (
    "I don't know who you are in Bosun yet, so I can't share vessel data. "
    "If your Slack email is the one your Bosun account uses, ask an admin to check it; "
    "otherwise get a link code (in Bosun's web chat, or from an admin: "
    "`bosun users link-code YOUR-EMAIL`) and send `/bosun link CODE` here "
    "(or `link CODE` in a direct message to me)."
)
FAILED = "Bosun could not answer that because of a problem on its side. Please try again."

GatewayProvider = Callable[[], ChatGateway]


def conversation_key(team: str, channel: str, thread_ts: str | None) -> str:
    """Return the Bosun conversation key for a Slack thread (or a DM's main timeline)."""
    return f"{team}:{channel}:{thread_ts}" if thread_ts else f"{team}:{channel}"


class SlackBot:
    """Bosun's Slack app: listeners, identity mapping, files, Socket Mode."""

    def __init__(
        self,
        gateway: GatewayProvider,
        settings: SlackSettings | None = None,
        *,
        public_url: str | None = None,
    ) -> None:
        self.settings = settings or SlackSettings()
        self.public_url = public_url
        self._gateway = gateway
        self._seen = RecentIds()
        self._locks = KeyedLocks()
        self._socket: SocketModeHandler | None = None
        self._stopping = threading.Event()
        self.client: WebClient | None = None
        self.app: App | None = None
        token = self.settings.bot
        if token is None:
            return
        self.client = WebClient(token=token, base_url=self.settings.base_url, timeout=30)
        secret = self.settings.signing_secret
        self.app = App(
            name="bosun",
            client=self.client,
            signing_secret=secret.get_secret_value() if secret else "",
            request_verification_enabled=self.settings.http_enabled,
            # No call to Slack while Bosun starts (a vessel may be offline); bolt runs
            # auth.test on the first request instead.
            token_verification_enabled=False,
            process_before_response=False,
            logger=log,
        )
        self._register(self.app)

    # --- wiring --------------------------------------------------------------------------

    @property
    def http_enabled(self) -> bool:
        """Return whether HTTP events are served (bot token and signing secret set)."""
        return self.app is not None and self.settings.http_enabled

    def signature_ok(self, body: str, headers: Mapping[str, str]) -> bool:
        """Return whether a request carries a fresh signature made with our signing secret."""
        secret = self.settings.signing_secret
        if not self.http_enabled or secret is None:
            return False
        verifier = SignatureVerifier(secret.get_secret_value())
        return verifier.is_valid_request(body, dict(headers))

    def dispatch(self, request: BoltRequest) -> BoltResponse:
        """Run one HTTP request through bolt (verification, url_verification, listeners)."""
        if self.app is None or not self.http_enabled:
            return BoltResponse(status=401, body="Slack is not configured on this server")
        return self.app.dispatch(request)

    def start_socket_mode(self) -> bool:
        """Connect over Socket Mode in the background when the app token is set."""
        if self.app is None or self.client is None or not self.settings.socket_mode_enabled:
            return False
        token = self.settings.app_token
        assert token is not None  # socket_mode_enabled checked it
        self._stopping.clear()
        self._socket = SocketModeHandler(
            self.app, app_token=token.get_secret_value(), web_client=self.client
        )
        threading.Thread(
            target=self._connect, args=(self._socket,), name="bosun-slack-socket", daemon=True
        ).start()
        return True

    def _connect(self, handler: SocketModeHandler) -> None:
        delay = 1.0
        while not self._stopping.is_set():
            try:
                handler.connect()  # type: ignore[no-untyped-call]  # the client reconnects on its own once connected
                log.info("Slack Socket Mode connected")
                return
            except Exception as err:  # offline at sea: keep trying, never crash the server
                log.warning("Slack Socket Mode could not connect (%s); retrying", err)
                self._stopping.wait(delay)
                delay = min(delay * 2, 300.0)

    def stop(self) -> None:
        """Close the Socket Mode connection (at shutdown)."""
        self._stopping.set()
        if self._socket is not None:
            self._socket.close()  # type: ignore[no-untyped-call]
            self._socket = None

    def _register(self, app: App) -> None:
        app.use(self._skip_redeliveries)
        app.event("message")(self._on_message)
        app.event("app_mention")(self._on_mention)
        app.command("/bosun")(self._on_command)
        app.action(CONFIRM)(self._on_decision)
        app.action(CANCEL)(self._on_decision)
        app.action(HELPFUL)(self._on_feedback)
        app.action(UNHELPFUL)(self._on_feedback)

    def _skip_redeliveries(
        self, req: BoltRequest, body: dict[str, Any], next: Callable[[], BoltResponse]
    ) -> BoltResponse:
        """Answer a redelivered event 200 without a second turn.

        Each event is remembered by ``event_id``. A retry whose first delivery timed out
        (``X-Slack-Retry-Reason: http_timeout``) may have started a turn in a process that
        has since restarted, so it is dropped too; retries after an error or a refused
        connection are the first delivery that reached a listener and are served.
        """
        if body.get("type") == "event_callback":
            event_id = str(body.get("event_id") or "")
            retried = bool(req.headers.get("x-slack-retry-num"))
            reason = (req.headers.get("x-slack-retry-reason") or [""])[0]
            if event_id and not self._seen.first_time(f"{body.get('team_id')}:{event_id}"):
                log.info("Slack event %s delivered again; ignored", event_id)
                return BoltResponse(status=200, body="", headers={"x-slack-no-retry": "1"})
            if retried and reason == "http_timeout":
                log.info("Slack event %s retried after a timeout; ignored", event_id)
                return BoltResponse(status=200, body="", headers={"x-slack-no-retry": "1"})
        return next()

    # --- messages ------------------------------------------------------------------------

    def _on_message(self, event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        if event.get("channel_type") != "im" or event.get("bot_id"):
            return  # channels are served through mentions
        if event.get("subtype") not in (None, "file_share", "thread_broadcast"):
            return  # edits, deletions, joins
        self._converse(event, context, client)

    def _on_mention(self, event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        if event.get("bot_id"):
            return
        self._converse(event, context, client)

    def _converse(self, event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        team = str(event.get("team") or context.team_id or "")
        user = str(event.get("user") or "")
        channel = str(event["channel"])
        direct = event.get("channel_type") == "im"
        thread_ts = event.get("thread_ts") or (None if direct else event.get("ts"))

        def say(text: str, blocks: Sequence[dict[str, Any]] | None = None) -> None:
            client.chat_postMessage(
                channel=channel,
                thread_ts=thread_ts,
                text=text,
                blocks=blocks if blocks is not None else None,
                unfurl_links=False,
                unfurl_media=False,
            )

        if not user:
            return
        try:
            text = plain_text(str(event.get("text") or ""), context.bot_user_id)
            code = LINK.match(text)
            if code:
                say(self._link(team, user, code.group(1)))
                return
            speaker = self._identify(client, team, user)
            if speaker is None:
                say(UNLINKED)
                return
            uploads, problems = self._downloads(client, event.get("files") or [])
            key = conversation_key(team, channel, thread_ts)
            if not text:
                say(self._keep_files(speaker, uploads, problems, key))
                return
            # One turn at a time per thread: in order, and no race to start it.
            with self._locks.hold(key):
                result, note = self._turn(speaker, text, key, uploads, problems)
            say(*self._reply(speaker, result, note))
        except ChatError as err:
            say(f"Sorry: {err.message}")
        except Exception:
            log.exception("Slack message from %s/%s failed", team, user)
            say(FAILED)

    def _reply(
        self, speaker: Speaker, result: TurnResult, note: str | None
    ) -> tuple[str, list[dict[str, Any]]]:
        """Render a turn; citations link to signed document URLs the reader's browser opens."""
        gateway = self._gateway()
        links = [
            gateway.document_link(speaker, c.document_id, c.page)
            for c in result.citations[:MAX_CITATIONS]
        ]
        return reply_blocks(result, public_url=self.public_url, note=note, links=links)

    def _turn(
        self,
        speaker: Speaker,
        text: str,
        key: str,
        uploads: list[Upload],
        problems: list[str],
    ) -> tuple[TurnResult, str | None]:
        gateway = self._gateway()
        try:
            result = gateway.turn(speaker, text, conversation=key, uploads=uploads)
        except ChatError as err:
            if not uploads:
                raise
            problems = [*problems, err.message]  # a file refused: answer without the files
            uploads = []
            result = gateway.turn(speaker, text, conversation=key)
        kept = [u.name for u in uploads]
        notes = []
        if kept and result.outcome == "proposed":
            notes.append(f"{', '.join(kept)} will be attached to this report when you confirm.")
        elif kept:
            notes.append(f"Kept {', '.join(kept)} for the next fault reported in this thread.")
        notes += problems
        return result, " ".join(notes) or None

    def _keep_files(
        self, speaker: Speaker, uploads: list[Upload], problems: list[str], key: str
    ) -> str:
        gateway = self._gateway()
        kept = []
        for upload in uploads:
            try:
                gateway.attach(speaker, upload, conversation=key)
                kept.append(upload.name)
            except ChatError as err:
                problems.append(err.message)
        lines = []
        if kept:
            lines.append(
                f"Kept {', '.join(escape(k) for k in kept)}: it goes with the fault you "
                "report next in this thread."
            )
        lines += [escape(p) for p in problems]
        return "\n".join(lines) or HELP

    # --- slash command -------------------------------------------------------------------

    def _on_command(
        self, ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        ack()
        team = str(command.get("team_id") or "")
        user = str(command.get("user_id") or "")
        channel = str(command.get("channel_id") or "")
        text = plain_text(str(command.get("text") or ""))
        try:
            if not text or text.lower() in ("help", "?"):
                respond(text=HELP, response_type="ephemeral")
                return
            code = LINK.match(text)
            if code:
                respond(text=self._link(team, user, code.group(1)), response_type="ephemeral")
                return
            speaker = self._identify(client, team, user)
            if speaker is None:
                respond(text=UNLINKED, response_type="ephemeral")
                return
            key = conversation_key(team, channel, f"command-{user}")
            with self._locks.hold(key):
                result, note = self._turn(speaker, text, key, [], [])
            reply, blocks = self._reply(speaker, result, note)
            respond(text=reply, blocks=blocks, response_type="ephemeral")
        except ChatError as err:
            respond(text=f"Sorry: {err.message}", response_type="ephemeral")
        except Exception:
            log.exception("Slack command from %s/%s failed", team, user)
            respond(text=FAILED, response_type="ephemeral")

    # --- buttons -------------------------------------------------------------------------

    def _on_decision(
        self,
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        respond: Respond,
        client: WebClient,
    ) -> None:
        ack()
        approve = action.get("action_id") == CONFIRM

        def decide(speaker: Speaker, action_id: int) -> TurnResult:
            with self._locks.hold(f"action-{action_id}"):
                return self._gateway().decide(speaker, action_id, approve=approve)

        result = self._button_action(body, action, respond, client, "not a Bosun action", decide)
        if result is None:
            return
        user = str(body.get("user", {}).get("id") or "")
        message: dict[str, Any] = body.get("message") or {}
        text, blocks = after_decision(message.get("blocks"), result, user, approve=approve)
        container = body.get("container") or {}
        channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
        ts = message.get("ts") or container.get("message_ts")
        if container.get("is_ephemeral") or not (channel and ts and message):
            respond(text=text, blocks=blocks, replace_original=True)
        else:
            client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)

    def _on_feedback(
        self,
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        respond: Respond,
        client: WebClient,
    ) -> None:
        ack()
        helpful = action.get("action_id") == HELPFUL

        def note(speaker: Speaker, message_id: int) -> None:
            self._gateway().feedback(speaker, message_id, helpful=helpful)
            thanks = "Thanks, noted as helpful." if helpful else "Thanks; an admin will review it."
            respond(text=thanks, response_type="ephemeral", replace_original=False)

        self._button_action(body, action, respond, client, "not a Bosun reply", note)

    def _button_action(
        self,
        body: dict[str, Any],
        action: dict[str, Any],
        respond: Respond,
        client: WebClient,
        not_ours: str,
        act: Callable[[Speaker, int], T],
    ) -> T | None:
        """Run a button's ``act`` as the Bosun user who clicked it, on the button's number.

        Return None when it did not run: the user was told why (not linked, ``not_ours``
        for a value that is no number, the assistant's refusal, or a failure, logged).
        """
        user = str(body.get("user", {}).get("id") or "")
        team = _team_of(body)
        try:
            value = int(str(action.get("value")))
            speaker = self._identify(client, team, user)
            if speaker is None:
                respond(text=UNLINKED, response_type="ephemeral", replace_original=False)
                return None
            return act(speaker, value)
        except (ChatError, ValueError) as err:
            why = err.message if isinstance(err, ChatError) else not_ours
            respond(text=f"Sorry: {why}", response_type="ephemeral", replace_original=False)
        except Exception:
            log.exception("Slack button %s by %s/%s failed", action.get("action_id"), team, user)
            respond(text=FAILED, response_type="ephemeral", replace_original=False)
        return None

    # --- identity and files --------------------------------------------------------------

    def _link(self, team: str, user: str, code: str) -> str:
        try:
            speaker = self._gateway().link(CHANNEL, f"{team}/{user}", code)
        except ChatError as err:
            return f"That code did not work: {escape(err.message)}"
        return f"Linked: you are {escape(speaker.name)} ({escape(speaker.email)}) in Bosun."

    def _identify(self, client: WebClient, team: str, user: str) -> Speaker | None:
        """Return the Bosun user behind a Slack user: linked, or by Slack-verified email."""
        gateway = self._gateway()
        external = f"{team}/{user}"
        speaker = gateway.identify(CHANNEL, external)
        if speaker is not None:
            return speaker
        email = self._verified_email(client, team, user)
        if email is None:
            return None
        return gateway.identify(CHANNEL, external, verified_email=email)

    @staticmethod
    def _verified_email(client: WebClient, team: str, user: str) -> str | None:
        try:
            info = client.users_info(user=user).get("user") or {}
        except SlackApiError as err:
            log.warning("users.info for %s failed: %s", user, err.response.get("error"))
            return None
        profile = info.get("profile") or {}
        email = profile.get("email")
        if (
            not isinstance(email, str)
            or info.get("deleted")
            or info.get("is_bot")
            or info.get("is_email_confirmed") is False
            # A guest from another workspace (Slack Connect) links with a code instead.
            or (team and info.get("team_id") and info.get("team_id") != team)
        ):
            return None
        return email

    def _downloads(
        self, client: WebClient, files: list[dict[str, Any]]
    ) -> tuple[list[Upload], list[str]]:
        """Fetch the files shared with a message (files.info, then url_private)."""
        uploads: list[Upload] = []
        problems: list[str] = []
        for shared in files[:10]:
            name = str(shared.get("name") or shared.get("id") or "file")
            try:
                info = client.files_info(file=str(shared["id"])).get("file") or {}
                uploads.append(self._download(info))
            except SlackApiError as err:
                problems.append(
                    f"I could not read {name} from Slack ({err.response.get('error')})."
                )
            except (KeyError, ValueError, httpx.HTTPError) as err:
                problems.append(f"I could not fetch {name} from Slack ({err}).")
        return uploads, problems

    def _download(self, info: dict[str, Any]) -> Upload:
        name = str(info.get("name") or info.get("title") or info.get("id") or "file")
        kind = str(info.get("mimetype") or "application/octet-stream")
        if int(info.get("size") or 0) > MAX_FILE_BYTES:
            raise ValueError(f"over {MAX_FILE_BYTES // 1024 // 1024} MB")
        url = str(info.get("url_private_download") or info.get("url_private") or "")
        if not self._trusted_file_url(url):
            raise ValueError("the file is not on Slack's file server")
        token = self.settings.bot or ""
        with httpx.Client(timeout=60, follow_redirects=False) as http:
            response = http.get(url, headers={"Authorization": f"Bearer {token}"})
        if response.status_code != 200:
            raise ValueError(f"HTTP {response.status_code}")
        got = response.headers.get("content-type", "").split(";")[0].strip()
        if got == "text/html" and not kind.startswith("text/html"):
            raise ValueError("Slack sent a sign-in page; the app needs the files:read scope")
        if len(response.content) > MAX_FILE_BYTES:
            raise ValueError(f"over {MAX_FILE_BYTES // 1024 // 1024} MB")
        return Upload(name=name, content_type=kind, data=response.content)

    def _trusted_file_url(self, url: str) -> bool:
        """Send the bot token only to the API's host or its sibling hosts (files.slack.com)."""
        target = urlsplit(url)
        api = urlsplit(self.settings.base_url)
        if target.scheme not in ("https", "http") or not target.hostname or not api.hostname:
            return False
        if target.scheme == "http" and api.scheme != "http":
            return False
        host, base = target.hostname.lower(), api.hostname.lower()
        return host == base or host.endswith("." + base)


def _team_of(body: dict[str, Any]) -> str:
    user = body.get("user") or {}
    team = body.get("team") or {}
    return str(user.get("team_id") or team.get("id") or "")
