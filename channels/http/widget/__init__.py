"""The embeddable web chat widget: one script tag adds a chat bubble to any page.

``widget_router()`` serves ``/widget.js``; the widget talks to Bosun's chat WebSocket
(``/v1/chat/ws``) with a short-lived chat token its host page's backend gets from
``POST /v1/chat/tokens``, never with an API key.
"""

from channels.http.widget.routes import WIDGET_JS, widget_router

__all__ = ["WIDGET_JS", "widget_router"]
