"""Conversation engine: tools, chat-model backends, pending actions, dialogue state."""
