"""Application services the CLI, HTTP and jobs call (no FastAPI, no typer here)."""
