"""Backup and restore of a Bosun home (``bosun backup`` / ``bosun restore``)."""
