"""A seeded home to back up: the demo vessel, manuals, an upload, a pin and a trained model."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from channels.app.runtime import open_bosun
from channels.app.settings import Settings
from channels.demo.history import write_history
from channels.demo.seed import seed_demo
from channels.services.knowledge import index_all_fault_history, open_knowledge
from channels.services.predictors import train_class
from connectors import load_register, simulate_history
from records import register_import, system_caller
from tests.integration.test_connectors_to_records import REGISTER

QUERIES = (
    "how do I bleed air from the purifier feed pump",
    "steering gear hydraulic oil change interval",
    "ME2 fuel pump leaking",
)

PURIFIER = """# Separator SX-40 operating manual

## Feed pump

To bleed air from the purifier feed pump, open the vent cock on the pump casing, run the
pump at low speed until oil without bubbles comes out, then close the vent cock.

## Bowl cleaning

Stop the separator, wait until the bowl has stopped completely, then open the cover.
Clean the disc stack in solvent every 2,000 running hours.
"""

STEERING = """# Steering gear manual

## Hydraulic oil

Change the hydraulic oil of the steering gear every 8,000 running hours or every two years,
whichever comes first. Use ISO VG 46 oil only.

## Emergency steering

Switch the changeover valve to local control and steer from the steering gear room
following the rudder angle indicator.
"""

SAFETY = """# Enclosed space entry

1. Get a permit signed by the chief officer.
2. Ventilate the space for at least 30 minutes and test the atmosphere.
3. Keep a standby person at the entrance at all times.
"""


@dataclass
class Seeded:
    """The seeded home and what a restore must bring back."""

    home: Path
    org_id: int
    vessel_id: int
    """The demo vessel."""
    trained_vessel_id: int
    """A small vessel with simulated readings and a trained main-engine model."""
    external: dict[str, Path]
    """Manuals ingested from outside the home, by name."""


def sha256(path: Path) -> str:
    """Return a file's sha256."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    """Seed a home the way a vessel would have it after a while, then close it."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BOSUN_EMBEDDER", "torch")  # no int8 export for these tests
        mp.delenv("BOSUN_DATABASE_URL", raising=False)
        mp.delenv("BOSUN_QDRANT_URL", raising=False)
        root = tmp_path_factory.mktemp("backup")
        home = root / "home"
        sources = root / "manuals"
        sources.mkdir()
        bosun = open_bosun(Settings(home=home))
        demo = seed_demo(bosun.db, keys_file=home / "demo-keys.txt")
        org_id = demo.org_id

        reg = sources / "wired.yaml"
        reg.write_text(REGISTER)
        with bosun.db.transaction(org_id) as s:
            trained = register_import.import_register(s, register_import.load_file(reg)).vessel_id
        history = simulate_history(
            load_register(reg), days=120, seed=3, mean_days_between_degradations=12
        )
        write_history(bosun.db, org_id, trained, history)
        caller = system_caller(org_id, "cli")
        outcome = train_class(bosun, caller, trained, "main_engine", horizon="7d", progress=False)
        assert outcome.problem is None, outcome.problem

        external = {"steering.md": sources / "steering.md", "safety.md": sources / "safety.md"}
        external["steering.md"].write_text(STEERING)
        external["safety.md"].write_text(SAFETY)
        service = open_knowledge(bosun)
        summary = service.ingest(caller, list(external.values()), vessel_id=demo.vessel_id)
        assert not summary.failed, summary.failed
        upload = service.save_upload(caller, "purifier.md", PURIFIER.encode())
        assert not service.ingest(caller, [upload], vessel_id=demo.vessel_id).failed
        assert index_all_fault_history(service) > 0
        service.kb.pin_answer(org_id, "who approves hot work?", "The master, on a hot-work permit.")
        service.close()
        bosun.close()
        yield Seeded(home, org_id, demo.vessel_id, trained, external)
