"""The demo: a seeded vessel, its history and manuals, the live simulation."""
