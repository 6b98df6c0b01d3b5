"""``bosun glossary list|add|remove``: the organization's crew vocabulary (issue 17).

Talks to the running ``bosun up`` when there is one, else to the home in-process.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

from channels.cli.console import fail, out
from channels.cli.context import OrganizationOption
from channels.cli.home import reach

glossary_app = typer.Typer(
    no_args_is_help=True, help="Crew abbreviations that expand searches (shipped and your own)."
)
URL = "/v1/glossary"


def _key(term: str) -> str:
    return " ".join(term.split()).casefold()


@glossary_app.command("list")
def glossary_list(
    source: Annotated[
        str, typer.Option(help="all (shipped with your overrides), organization or shipped")
    ] = "all",
    as_json: Annotated[bool, typer.Option("--json")] = False,
    organization: OrganizationOption = None,
) -> None:
    """List the terms that expand searches."""
    if source not in ("all", "organization", "shipped"):
        raise fail("--source is all, organization or shipped")
    items: list[dict[str, Any]] = reach(organization).api("GET", URL, params={"source": source})[
        "items"
    ]
    if as_json:
        sys.stdout.write(json.dumps(items, indent=2) + "\n")
        return
    from rich.table import Table

    table = Table()
    for column in ("term", "expansions", "source", "id"):
        table.add_column(column)
    for item in items:
        table.add_row(
            item["term"],
            "; ".join(item["expansions"]),
            item["source"] + (" (overrides shipped)" if item["overrides_shipped"] else ""),
            str(item["id"] or ""),
        )
    out.print(table)


@glossary_app.command("add")
def glossary_add(
    term: Annotated[str, typer.Argument(help="What crews write, e.g. PMS")],
    expansion: Annotated[
        str, typer.Argument(help="What it stands for; alternatives separated by ';'")
    ],
    notes: Annotated[str | None, typer.Option(help="A note for other admins")] = None,
    organization: OrganizationOption = None,
) -> None:
    """Add an organization term, or replace its entry (it overrides a shipped one)."""
    body: dict[str, Any] = {"term": term, "expansion": expansion}
    if notes:
        body["notes"] = notes
    item = reach(organization).api("POST", URL, json=body)
    override = " (overrides the shipped entry)" if item["overrides_shipped"] else ""
    out.print(f"{item['term']} -> {'; '.join(item['expansions'])}{override}")


@glossary_app.command("remove")
def glossary_remove(
    term: Annotated[str, typer.Argument(help="The organization term to remove")],
    organization: OrganizationOption = None,
) -> None:
    """Remove an organization term (a shipped entry it overrode applies again)."""
    home = reach(organization)
    own = home.api("GET", URL, params={"source": "organization"})["items"]
    found = [i for i in own if _key(i["term"]) == _key(term)]
    if not found:
        raise fail(
            f"no organization entry for {term!r}: shipped entries cannot be removed, "
            "only overridden (bosun glossary add TERM EXPANSION)"
        )
    home.api("DELETE", f"{URL}/{found[0]['id']}")
    out.print(f"removed {found[0]['term']}")
