"""The knowledge tests embed with the session's one model: ``embedder`` in tests/conftest.py."""
