/* Bosun chat widget: one script tag adds a chat bubble to any page.
 *
 *   <script src="https://HOST/widget.js" data-bosun-url="https://HOST"
 *           data-token-url="/your-backend/bosun-token"></script>
 *
 * The host page's backend answers POST data-token-url with {"token": ...} from Bosun's
 * POST /v1/chat/tokens (called with its API key). The page never holds an API key.
 * Optional: data-title, data-suggestions="question|question", data-speech="server"
 * (always transcribe on the Bosun server), data-open="true".
 * window.Bosun.open() / .close() / .ask(text) drive it from the page.
 */
(() => {
  "use strict";
  const script = document.currentScript;
  if (!script || window.Bosun) return;
  const cfg = script.dataset;
  const bosunUrl = (cfg.bosunUrl || new URL(script.src, location.href).origin).replace(/\/+$/, "");
  const tokenUrl = cfg.tokenUrl ? new URL(cfg.tokenUrl, location.href).href : null;
  const title = cfg.title || "Bosun";
  const suggestions = (cfg.suggestions || "").split("|").map((s) => s.trim()).filter(Boolean);
  const conversationKey = (() => {
    const name = "bosun-conversation";
    try {
      const found = sessionStorage.getItem(name);
      if (found) return found;
      const made = "w-" + Math.random().toString(36).slice(2) + Date.now().toString(36);
      sessionStorage.setItem(name, made);
      return made;
    } catch (_) {
      return "w-" + Math.random().toString(36).slice(2);
    }
  })();

  // Icons as inline SVG (Material Design icons, Apache-2.0): no emoji font needed on the tablet.
  const ICONS = {
    chat: "M20 2H4c-1.1 0-2 .9-2 2v18l4-4h14c1.1 0 2-.9 2-2V4c0-1.1-.9-2-2-2z",
    mic: "M12 14c1.66 0 3-1.34 3-3V5c0-1.66-1.34-3-3-3S9 3.34 9 5v6c0 1.66 1.34 3 3 3zm5.3-3c0 3-2.54 5.1-5.3 5.1S6.7 14 6.7 11H5c0 3.41 2.72 6.23 6 6.72V21h2v-3.28c3.28-.48 6-3.3 6-6.72h-1.7z",
    camera: "M12 15.2A3.2 3.2 0 1 0 12 8.8a3.2 3.2 0 0 0 0 6.4zM9 2 7.17 4H4c-1.1 0-2 .9-2 2v12c0 1.1.9 2 2 2h16c1.1 0 2-.9 2-2V6c0-1.1-.9-2-2-2h-3.17L15 2H9zm3 15c-2.76 0-5-2.24-5-5s2.24-5 5-5 5 2.24 5 5-2.24 5-5 5z",
    send: "M2.01 21 23 12 2.01 3 2 10l15 2-15 2z",
    close: "M19 6.41 17.59 5 12 10.59 6.41 5 5 6.41 10.59 12 5 17.59 6.41 19 12 13.41 17.59 19 19 17.59 13.41 12z",
    up: "M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z",
    down: "M15 3H6c-.83 0-1.54.5-1.84 1.22l-3.02 7.05c-.09.23-.14.47-.14.73v2c0 1.1.9 2 2 2h6.31l-.95 4.57-.03.32c0 .41.17.79.44 1.06L9.83 23l6.59-6.59c.36-.36.58-.86.58-1.41V5c0-1.1-.9-2-2-2zm4 0v12h4V3h-4z",
    doc: "M14 2H6c-1.1 0-1.99.9-1.99 2L4 20c0 1.1.89 2 1.99 2H18c1.1 0 2-.9 2-2V8l-6-6zm2 16H8v-2h8v2zm0-4H8v-2h8v2zm-3-5V3.5L18.5 9H13z",
  };
  const icon = (name, size = 24) => {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", String(size));
    svg.setAttribute("height", String(size));
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("fill", "currentColor");
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", ICONS[name]);
    svg.append(path);
    return svg;
  };

  const CSS = `
    :host { all: initial; }
    * { box-sizing: border-box; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
    .bubble { position: fixed; right: 20px; bottom: 20px; width: 64px; height: 64px; border-radius: 50%;
      border: none; background: #0b4f6c; color: #fff; cursor: pointer; z-index: 2147483000;
      display: inline-flex; align-items: center; justify-content: center;
      box-shadow: 0 4px 14px rgba(0,0,0,.3); }
    .bubble:focus-visible, button:focus-visible, textarea:focus-visible { outline: 3px solid #f5a623; outline-offset: 2px; }
    .panel { position: fixed; right: 20px; bottom: 96px; width: 420px; height: min(720px, calc(100vh - 120px));
      background: #fff; color: #14212b; border-radius: 14px; box-shadow: 0 8px 30px rgba(0,0,0,.3);
      display: none; flex-direction: column; overflow: hidden; z-index: 2147483001; font-size: 17px; }
    .panel.open { display: flex; }
    header { background: #0b4f6c; color: #fff; padding: 10px 14px; display: flex; align-items: center; gap: 8px; }
    header h2 { margin: 0; font-size: 19px; flex: 1; }
    header button { background: transparent; color: #fff; border: none; font-size: 26px; min-width: 48px; min-height: 48px; cursor: pointer; }
    header button.link { font-size: 15px; border: 1px solid rgba(255,255,255,.6); border-radius: 8px; padding: 0 12px; }
    .log { flex: 1; overflow-y: auto; padding: 12px; display: flex; flex-direction: column; gap: 10px; background: #f2f5f7; }
    .msg { max-width: 88%; padding: 10px 12px; border-radius: 12px; line-height: 1.4; white-space: pre-wrap; word-wrap: break-word; }
    .user { align-self: flex-end; background: #0b4f6c; color: #fff; }
    .bot { align-self: flex-start; background: #fff; border: 1px solid #d5dde3; }
    .bot.error { border-color: #c0392b; color: #922b21; }
    .bot.notice { border: 2px solid #c77700; background: #fff8ec; }
    .note { align-self: center; font-size: 14px; color: #51606b; text-align: center; }
    .heard { display: block; font-size: 14px; opacity: .85; margin-bottom: 4px; font-style: italic; }
    .cites { margin-top: 8px; display: flex; flex-direction: column; gap: 4px; font-size: 15px; }
    .cites a { color: #0b4f6c; min-height: 32px; display: inline-flex; align-items: center; }
    .row { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 8px; }
    .row button, .chips button { min-height: 48px; min-width: 48px; padding: 8px 14px; border-radius: 10px; font-size: 16px;
      border: 1px solid #0b4f6c; background: #fff; color: #0b4f6c; cursor: pointer; }
    .row button.confirm { background: #1e7b34; border-color: #1e7b34; color: #fff; }
    .row button.cancel { border-color: #922b21; color: #922b21; }
    .row button:disabled { opacity: .5; cursor: default; }
    .row button.chosen { outline: 3px solid #f5a623; }
    .chips { display: flex; flex-wrap: wrap; gap: 8px; padding: 8px 12px; background: #f2f5f7; }
    form { display: flex; gap: 6px; padding: 8px; border-top: 1px solid #d5dde3; background: #fff; align-items: flex-end; }
    textarea { flex: 1; resize: none; min-height: 48px; max-height: 140px; font-size: 17px; padding: 11px; border-radius: 10px; border: 1px solid #9fb0bc; }
    form button { min-width: 52px; min-height: 52px; border-radius: 10px; border: none; cursor: pointer; background: #e4ebf0; color: #14212b;
      display: inline-flex; align-items: center; justify-content: center; }
    header button, .row button { display: inline-flex; align-items: center; justify-content: center; }
    .cites a svg { flex: none; }
    form button.send { background: #0b4f6c; color: #fff; }
    form button.recording { background: #c0392b; color: #fff; }
    @media (max-width: 700px) {
      .panel { right: 0; bottom: 0; left: 0; top: 0; width: 100vw; height: 100vh; height: 100dvh; border-radius: 0; }
      .panel.open ~ .bubble { display: none; }
    }`;

  class Widget {
    constructor() {
      this.host = document.createElement("div");
      this.host.id = "bosun-widget";
      this.root = this.host.attachShadow({ mode: "open" });
      this.token = null;
      this.tokenExpires = 0;
      this.ws = null;
      this.queue = [];
      this.current = null;
      this.recorder = null;
      this.useServerSpeech = cfg.speech === "server";
      this.build();
      document.body.appendChild(this.host);
      if (cfg.open === "true") this.open();
    }

    el(tag, attrs = {}, text) {
      const node = document.createElement(tag);
      for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
      if (text !== undefined) node.textContent = text;
      return node;
    }

    build() {
      const style = this.el("style");
      style.textContent = CSS;
      this.panel = this.el("section", { class: "panel", role: "dialog", "aria-label": `${title} chat` });
      const header = this.el("header");
      header.append(this.el("h2", {}, title));
      const link = this.el("button", { type: "button", class: "link", title: "Use Bosun in Slack or Telegram" }, "Link");
      link.addEventListener("click", () => this.linkCode());
      header.append(link);
      const close = this.el("button", { type: "button", "aria-label": "Close chat", class: "close" });
      close.append(icon("close", 28));
      close.addEventListener("click", () => this.close());
      header.append(close);
      this.log = this.el("div", { class: "log", role: "log", "aria-live": "polite" });
      this.chips = this.el("div", { class: "chips" });
      for (const q of suggestions) {
        const chip = this.el("button", { type: "button", class: "suggestion" }, q);
        chip.addEventListener("click", () => this.ask(q));
        this.chips.append(chip);
      }
      const form = this.el("form");
      this.input = this.el("textarea", { rows: "1", placeholder: "Ask, or report a fault…", "aria-label": "Message" });
      this.input.addEventListener("keydown", (e) => {
        if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); }
      });
      this.photo = this.el("input", { type: "file", accept: "image/*", capture: "environment", hidden: "" });
      this.photo.addEventListener("change", () => this.sendPhoto());
      const attach = this.el("button", { type: "button", class: "attach", "aria-label": "Send a photo" });
      attach.append(icon("camera"));
      attach.addEventListener("click", () => this.photo.click());
      this.mic = this.el("button", { type: "button", class: "mic", "aria-label": "Speak" });
      this.mic.append(icon("mic"));
      this.mic.addEventListener("click", () => this.toggleSpeech());
      const send = this.el("button", { type: "submit", class: "send", "aria-label": "Send" });
      send.append(icon("send"));
      form.append(this.input, this.photo, attach, this.mic, send);
      form.addEventListener("submit", (e) => {
        e.preventDefault();
        const text = this.input.value.trim();
        if (text) { this.input.value = ""; this.ask(text); }
      });
      this.panel.append(header, this.log, this.chips, form);
      this.bubble = this.el("button", { type: "button", class: "bubble", "aria-label": `Open ${title} chat` });
      this.bubble.append(icon("chat", 30));
      this.bubble.addEventListener("click", () => (this.panel.classList.contains("open") ? this.close() : this.open()));
      this.root.append(style, this.panel, this.bubble);
    }

    open() {
      this.panel.classList.add("open");
      if (!this.log.childElementCount) this.note(`Ask ${title} about your equipment, manuals and faults.`);
      this.input.focus();
      this.connect().catch((err) => this.error(err.message));
    }

    close() { this.panel.classList.remove("open"); }

    note(text) { const n = this.el("div", { class: "note" }, text); this.log.append(n); this.scroll(); return n; }

    error(text) { const n = this.el("div", { class: "msg bot error", role: "alert" }, text); this.log.append(n); this.scroll(); }

    scroll() { this.log.scrollTop = this.log.scrollHeight; }

    async getToken() {
      if (this.token && Date.now() < this.tokenExpires - 60000) return this.token;
      if (!tokenUrl) throw new Error("The widget has no data-token-url: ask your administrator.");
      const res = await fetch(tokenUrl, { method: "POST", credentials: "include", headers: { Accept: "application/json" } });
      if (!res.ok) throw new Error(`Could not start a chat (sign in first?): ${res.status}`);
      const body = await res.json();
      if (!body.token) throw new Error("The token service answered without a token.");
      this.token = body.token;
      this.tokenExpires = body.expires_at ? Date.parse(body.expires_at) : Date.now() + 10 * 60000;
      return this.token;
    }

    async connect() {
      if (this.ws && this.ws.readyState <= 1) return;
      const token = await this.getToken();
      const url = bosunUrl.replace(/^http/, "ws") + "/v1/chat/ws?token=" + encodeURIComponent(token);
      const ws = new WebSocket(url);
      this.ws = ws;
      ws.addEventListener("open", () => { while (this.queue.length) ws.send(JSON.stringify(this.queue.shift())); });
      ws.addEventListener("message", (e) => this.receive(JSON.parse(e.data)));
      ws.addEventListener("close", (e) => {
        if (e.code === 4401) { this.token = null; }
        if (this.current) { this.error("The connection to Bosun dropped; your last message may not have arrived."); this.current = null; }
      });
    }

    send(payload) {
      this.connect().then(() => {
        if (this.ws.readyState === 1) this.ws.send(JSON.stringify(payload));
        else this.queue.push(payload);
      }).catch((err) => this.error(err.message));
    }

    ask(text, voice = false, heard = null) {
      this.open();
      this.chips.hidden = true;
      const mine = this.el("div", { class: "msg user" });
      if (heard) mine.append(this.el("span", { class: "heard" }, "heard:"));
      mine.append(document.createTextNode(text));
      this.log.append(mine);
      this.current = null;
      this.pending = true;
      this.send({ text, conversation: conversationKey, voice });
      this.scroll();
    }

    botMessage() {
      if (!this.current) {
        this.current = this.el("div", { class: "msg bot", "data-streaming": "true" });
        this.currentText = this.el("div", { class: "text" });
        this.current.append(this.currentText);
        this.log.append(this.current);
      }
      return this.current;
    }

    receive(data) {
      if (data.type === "delta") {
        this.botMessage();
        this.currentText.textContent += data.text;
        this.scroll();
      } else if (data.type === "final") {
        const box = this.botMessage();
        box.removeAttribute("data-streaming");
        box.dataset.outcome = data.outcome || "";
        this.currentText.textContent = data.reply || "";
        this.renderCitations(box, data.citations || []);
        this.renderCandidates(box, data.candidates || []);
        if (data.proposed_action) this.renderAction(box, data.proposed_action);
        if (data.message_id && ["answer", "nothing_found", "done", "refuse"].includes(data.outcome)) this.renderFeedback(box, data.message_id);
        this.current = null;
        this.scroll();
      } else if (data.type === "notice") {
        // An alarm proposed a fault: Confirm / Cancel here, as in Slack, Telegram and /admin.
        const box = this.el("div", { class: "msg bot notice", "data-notice": String(data.action_id) });
        box.append(this.el("strong", {}, "Alarm"), document.createTextNode(" " + data.text));
        this.renderAction(box, { id: data.action_id });
        this.log.append(box);
        this.scroll();
      } else if (data.type === "feedback") {
        this.scroll();
      } else if (data.type === "error") {
        this.error(data.detail || "Something went wrong.");
        this.current = null;
      }
    }

    citationUrl(c) {
      const page = c.page ? `#page=${c.page}` : "";
      return `${bosunUrl}/v1/chat/documents/${c.document_id}?token=${encodeURIComponent(this.token || "")}${page}`;
    }

    renderCitations(box, citations) {
      if (!citations.length) return;
      const list = this.el("div", { class: "cites" });
      const seen = new Set();
      for (const c of citations) {
        const key = `${c.document_id}:${c.page}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const label = `${c.title}${c.page ? ", p. " + c.page : ""}${c.section ? " — " + c.section : ""}`;
        const a = this.el("a", { href: this.citationUrl(c), target: "_blank", rel: "noopener", class: "citation" });
        a.append(icon("doc", 18), document.createTextNode(" " + label));
        list.append(a);
      }
      box.append(list);
    }

    renderCandidates(box, candidates) {
      if (!candidates.length) return;
      const row = this.el("div", { class: "row" });
      for (const c of candidates) {
        const label = c.name || c.label || c.code || "";
        const b = this.el("button", { type: "button", class: "candidate" }, label);
        b.addEventListener("click", () => { row.querySelectorAll("button").forEach((x) => (x.disabled = true)); this.ask(label); });
        row.append(b);
      }
      box.append(row);
    }

    renderAction(box, action) {
      const row = this.el("div", { class: "row", "data-action": String(action.id) });
      const yes = this.el("button", { type: "button", class: "confirm" }, "Confirm");
      const no = this.el("button", { type: "button", class: "cancel" }, "Cancel");
      const decide = (approve, button) => {
        yes.disabled = no.disabled = true;
        button.classList.add("chosen");
        this.current = null;
        this.send({ action: action.id, approve });
      };
      yes.addEventListener("click", () => decide(true, yes));
      no.addEventListener("click", () => decide(false, no));
      row.append(yes, no);
      box.append(row);
    }

    renderFeedback(box, messageId) {
      const row = this.el("div", { class: "row feedback" });
      const up = this.el("button", { type: "button", "aria-label": "Helpful", class: "helpful" });
      const down = this.el("button", { type: "button", "aria-label": "Not helpful", class: "unhelpful" });
      up.append(icon("up", 20));
      down.append(icon("down", 20));
      const rate = (helpful, button) => {
        up.disabled = down.disabled = true;
        button.classList.add("chosen");
        this.send({ feedback: messageId, helpful });
      };
      up.addEventListener("click", () => rate(true, up));
      down.addEventListener("click", () => rate(false, down));
      row.append(up, down);
      box.append(row);
    }

    async authFetch(path, init) {
      const token = await this.getToken();
      const headers = Object.assign({}, init.headers || {}, { Authorization: `Bearer ${token}` });
      const res = await fetch(bosunUrl + path, Object.assign({}, init, { headers }));
      const body = await res.json().catch(() => ({}));
      if (!res.ok) throw new Error(body.detail || `Bosun answered ${res.status}`);
      return body;
    }

    async linkCode() {
      try {
        const body = await this.authFetch("/v1/chat/link-codes", { method: "POST" });
        const n = this.note("");
        n.classList.add("link-code");
        n.append(
          document.createTextNode("To use Bosun in Slack or Telegram, send the Bosun bot: "),
          this.el("strong", {}, `/link ${body.code}`),
          document.createTextNode(" (one use, 15 minutes)."),
        );
      } catch (err) {
        this.error(`No link code: ${err.message}`);
      }
    }

    async sendPhoto() {
      const file = this.photo.files && this.photo.files[0];
      this.photo.value = "";
      if (!file) return;
      const form = new FormData();
      form.append("file", file, file.name || "photo.jpg");
      form.append("conversation", conversationKey);
      const n = this.note(`Sending ${file.name || "photo"}…`);
      try {
        await this.authFetch("/v1/chat/attachments", { method: "POST", body: form });
        n.textContent = "Photo kept: it goes with the fault you report next.";
      } catch (err) {
        n.remove();
        this.error(`The photo was not sent: ${err.message}`);
      }
    }

    toggleSpeech() {
      if (this.recorder) { this.recorder.stop(); return; }
      const Recognition = window.SpeechRecognition || window.webkitSpeechRecognition;
      if (Recognition && !this.useServerSpeech) this.browserSpeech(Recognition);
      else this.recordSpeech();
    }

    browserSpeech(Recognition) {
      const rec = new Recognition();
      rec.lang = cfg.lang || document.documentElement.lang || "en-US";
      rec.interimResults = false;
      rec.maxAlternatives = 1;
      this.mic.classList.add("recording");
      let done = false;
      rec.onresult = (e) => { done = true; this.ask(e.results[0][0].transcript, true, true); };
      rec.onerror = (e) => {
        done = true;
        this.mic.classList.remove("recording");
        // Offline vessels: the browser's recogniser needs its vendor's servers. Record instead.
        if (["network", "service-not-allowed", "language-not-supported"].includes(e.error)) {
          this.useServerSpeech = true;
          this.recordSpeech();
        } else if (e.error !== "no-speech" && e.error !== "aborted") {
          this.error(`Speech recognition failed: ${e.error}`);
        }
      };
      rec.onend = () => { if (!done) this.mic.classList.remove("recording"); else this.mic.classList.remove("recording"); };
      try { rec.start(); } catch (_) { this.useServerSpeech = true; this.recordSpeech(); }
    }

    async recordSpeech() {
      if (!navigator.mediaDevices || !window.MediaRecorder) { this.error("This browser cannot record audio."); return; }
      let stream;
      try { stream = await navigator.mediaDevices.getUserMedia({ audio: true }); }
      catch (err) { this.error(`No microphone: ${err.message}`); return; }
      const type = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/webm"].find((t) => MediaRecorder.isTypeSupported(t)) || "";
      const recorder = new MediaRecorder(stream, type ? { mimeType: type } : {});
      const chunks = [];
      this.recorder = recorder;
      this.mic.classList.add("recording");
      this.mic.setAttribute("aria-label", "Stop and send");
      const limit = setTimeout(() => recorder.state === "recording" && recorder.stop(), 30000);
      recorder.ondataavailable = (e) => e.data.size && chunks.push(e.data);
      recorder.onstop = async () => {
        clearTimeout(limit);
        stream.getTracks().forEach((t) => t.stop());
        this.recorder = null;
        this.mic.classList.remove("recording");
        this.mic.setAttribute("aria-label", "Speak");
        const blob = new Blob(chunks, { type: (recorder.mimeType || "audio/webm").split(";")[0] });
        const n = this.note("Transcribing…");
        try {
          const body = await this.authFetch("/v1/transcribe", { method: "POST", headers: { "Content-Type": blob.type }, body: blob });
          n.remove();
          if (body.text && body.text.trim()) this.ask(body.text.trim(), true, true);
          else this.error("Nothing was heard; try again closer to the microphone.");
        } catch (err) {
          n.remove();
          this.error(`Could not transcribe: ${err.message}`);
        }
      };
      recorder.start();
    }
  }

  const start = () => {
    const widget = new Widget();
    window.Bosun = { open: () => widget.open(), close: () => widget.close(), ask: (t) => widget.ask(String(t)), widget };
    document.dispatchEvent(new CustomEvent("bosun:ready"));
  };
  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
