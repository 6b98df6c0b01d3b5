"""Check a configuration against its live sources without storing anything."""

from __future__ import annotations

import asyncio

from connectors.config import ConnectorsConfig
from connectors.errors import SourceError
from connectors.models import CheckReport, CheckRow, Reading
from connectors.ports import SensorCatalog
from connectors.registry import build_source


async def check_connectors(
    config: ConnectorsConfig,
    *,
    catalog: SensorCatalog | None = None,
    timeout_s: float = 10.0,
) -> CheckReport:
    """Connect to every source, read each tag once; `report.failed` means exit non-zero."""

    async def one(index: int) -> tuple[list[CheckRow], str | None]:
        src_cfg = config.sources[index]
        source = build_source(src_cfg, config)
        tags = list(src_cfg.all_tags)

        def unit(tag: str) -> str | None:
            spec = catalog.sensor(tag) if catalog else None
            return spec.unit if spec else None

        try:
            async with asyncio.timeout(timeout_s):
                await source.connect()
            async with asyncio.timeout(timeout_s + 5):
                result = await source.read_once(timeout_s)
        except (SourceError, TimeoutError) as err:
            msg = str(err) if isinstance(err, SourceError) else f"no answer within {timeout_s:g}s"
            rows = [CheckRow(src_cfg.name, t, None, unit(t), f"source failed: {msg}") for t in tags]
            return rows, msg
        finally:
            await source.close()
        rows = []
        for tag in tags:
            got = result.get(tag, "not read")
            if isinstance(got, Reading):
                status = "ok" if got.quality == "good" else f"quality {got.quality}"
                rows.append(CheckRow(src_cfg.name, tag, got.value, unit(tag), status))
            else:
                rows.append(CheckRow(src_cfg.name, tag, None, unit(tag), got))
        if catalog is not None:
            rows = [
                r
                if catalog.sensor(r.tag) is not None
                else CheckRow(r.source, r.tag, r.value, r.unit, "unknown tag (not in the register)")
                for r in rows
            ]
        return rows, None

    results = await asyncio.gather(*(one(i) for i in range(len(config.sources))))
    rows = [row for rs, _ in results for row in rs]
    errors = {config.sources[i].name: err for i, (_, err) in enumerate(results) if err is not None}
    return CheckReport(rows=rows, source_errors=errors)
