"""Where Bosun logs: the terminal keeps Bosun's own lines, ``bosun up`` logs to a file.

Libraries (transformers, onnxruntime, asyncua, uvicorn, ...) write warnings and progress
bars of their own; ``bosun up`` sends every log record, warnings included, to
``BOSUN_HOME/logs/bosun.log`` at its level, and leaves the terminal to its progress lines
and summary (errors still show there too).
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from logging.handlers import RotatingFileHandler
from pathlib import Path

LOGS_DIR = "logs"
"""Folder of the log files under ``BOSUN_HOME`` (never backed up)."""
LOG_FILE = "bosun.log"
OURS = ("channels", "connectors", "knowledge", "ingestion", "predictors", "assistant")
TERMINAL = "bosun-terminal"
"""Name of the handler that writes log records to the terminal (stderr)."""
QUIET_MODULES = r"transformers\..*|torch\..*|onnxruntime\..*"
"""Libraries whose Python warnings a short command drops; ``bosun up`` logs them instead."""
NO_PROGRESS_BARS = {"HF_HUB_DISABLE_PROGRESS_BARS": "1", "TQDM_DISABLE": "1"}
"""Turns off the progress bars of Hugging Face libraries and of anything else using tqdm."""


def log_to_terminal() -> None:
    """Log our own INFO and everyone's WARNING to stderr; no library progress bars.

    Called first thing by the ``bosun`` command, before any library reads its settings.
    """
    for name, value in NO_PROGRESS_BARS.items():
        os.environ.setdefault(name, value)
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(TERMINAL)
    handler.setFormatter(logging.Formatter("%(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    for ours in OURS:
        logging.getLogger(ours).setLevel(logging.INFO)
    warnings.filterwarnings("ignore", module=QUIET_MODULES)


def log_to_file(home: Path) -> Path:
    """Send log records and Python warnings to ``home/logs/bosun.log``; return its path.

    The terminal keeps errors only: ``bosun up`` prints its own progress and summary there.
    """
    path = home / LOGS_DIR / LOG_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = RotatingFileHandler(path, maxBytes=10_000_000, backupCount=3, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for existing in root.handlers:
        if existing.get_name() == TERMINAL:
            existing.setLevel(logging.ERROR)
    root.addHandler(handler)
    warnings.filterwarnings("default", module=QUIET_MODULES)  # logged, not dropped
    logging.captureWarnings(True)
    return path
