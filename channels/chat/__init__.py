"""Chat adapters (Slack, Telegram, voice): they talk to ``assistant`` only."""
