"""``bosun train`` and ``bosun models``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from channels.cli.console import err, fail, out
from channels.cli.context import OrganizationOption

if TYPE_CHECKING:
    from channels.app.runtime import Bosun
    from records import Caller

models_app = typer.Typer(no_args_is_help=True, help="Trained failure-risk models.")


def _context(imo: str | None, organization: str | None = None) -> tuple[Bosun, Caller, int]:
    from channels.cli.context import open_home, settings
    from channels.cli.home import acting_caller
    from records import system_caller

    bosun = open_home(settings())
    caller, vessel_id = acting_caller(bosun, None, imo, organization)
    return bosun, system_caller(caller.org_id, "cli"), vessel_id


def train(
    equipment_class: Annotated[
        str | None, typer.Option("--class", help="Equipment class (default: every class)")
    ] = None,
    horizon: Annotated[str, typer.Option(help="Failure within this horizon, e.g. 14d")] = "14d",
    vessel: Annotated[str | None, typer.Option(help="IMO (needed if several vessels)")] = None,
    organization: OrganizationOption = None,
) -> None:
    """Train failure-risk models from readings and fault history; the new version goes live."""
    from channels.services.predictors import classes_of, score_vessel, train_class

    bosun, caller, vessel_id = _context(vessel, organization)
    classes = [equipment_class] if equipment_class else classes_of(bosun, caller, vessel_id)
    trained = 0
    for cls in classes:
        err.print(f"training {cls} (horizon {horizon})")
        outcome = train_class(bosun, caller, vessel_id, cls, horizon=horizon)
        if outcome.problem:
            out.print(f"{cls}: not trained — {outcome.problem}")
            continue
        trained += 1
        m = outcome.metrics or {}
        out.print(
            f"{cls}: version {outcome.version} active; PR-AUC {m.get('pr_auc', 0):.3f}, "
            f"ROC-AUC {m.get('roc_auc', 0):.3f}, F1 {m.get('f1', 0):.3f}, "
            f"Brier {m.get('brier', 0):.3f}"
        )
    if trained:
        out.print(f"scored {score_vessel(bosun, caller, vessel_id)} equipment")
    elif equipment_class:
        raise typer.Exit(1)


@models_app.command("list")
def models_list(
    vessel: Annotated[str | None, typer.Option(help="IMO")] = None,
    organization: OrganizationOption = None,
) -> None:
    """List model versions with their metrics."""
    from rich.table import Table

    from records import model_registry

    bosun, caller, _ = _context(vessel, organization)
    table = Table()
    for column in ("class", "version", "active", "PR-AUC", "F1", "trained", "data"):
        table.add_column(column)
    with bosun.db.transaction(caller) as s:
        for m in model_registry.list_models(s, caller):
            table.add_row(
                m.equipment_class,
                str(m.version),
                "yes" if m.active else "",
                f"{m.metrics.get('pr_auc', 0):.3f}",
                f"{m.metrics.get('f1', 0):.3f}",
                m.created_at.strftime("%Y-%m-%d %H:%M"),
                f"{m.data_from:%Y-%m-%d} … {m.data_to:%Y-%m-%d}"
                if m.data_from and m.data_to
                else "",
            )
    out.print(table)


@models_app.command("activate")
def models_activate(
    equipment_class: Annotated[str, typer.Argument(help="Equipment class")],
    version: Annotated[int, typer.Argument(help="Version to make active")],
    organization: OrganizationOption = None,
) -> None:
    """Make a version the active model of its class."""
    from records import model_registry

    bosun, caller, _ = _context(None, organization)
    with bosun.db.transaction(caller) as s:
        found = [
            m
            for m in model_registry.list_models(s, caller, equipment_class)
            if m.version == version
        ]
        if not found:
            raise fail(f"no version {version} of {equipment_class}")
        model_registry.activate_model(s, caller, found[0])
    out.print(f"{equipment_class} version {version} is active")


@models_app.command("rollback")
def models_rollback(
    equipment_class: Annotated[str, typer.Argument()], organization: OrganizationOption = None
) -> None:
    """Re-activate the version before the active one."""
    from records import BosunError, model_registry

    bosun, caller, _ = _context(None, organization)
    try:
        with bosun.db.transaction(caller) as s:
            mv = model_registry.roll_back(s, caller, equipment_class)
            version = mv.version
    except BosunError as error:
        raise fail(error.message) from error
    out.print(f"{equipment_class} rolled back to version {version}")
