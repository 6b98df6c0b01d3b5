"""Every way in, by role: the composition root and the rooms around it.

- ``channels.app``: the composition root: settings, the running ``Bosun``, ``bosun up``
  (serve), jobs, the home folder and the local server it advertises.
- ``channels.services``: what the CLI, HTTP and jobs call: knowledge, predictors,
  connectors, chat, speech, notifications, glossary.
- ``channels.cli``: the ``bosun`` command, one module per command group.
- ``channels.http``: the ASGI app (``create_app``): the ``/v1`` API, admin pages, widget,
  start page.
- ``channels.chat``: the Slack, Telegram and voice adapters; they talk to ``assistant`` only.
- ``channels.demo``: the demo vessel, its history, manuals and live simulation.
- ``channels.backup``: ``bosun backup`` / ``bosun restore`` archives.
"""
