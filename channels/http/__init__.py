"""HTTP: the ASGI app (``channels.http.app.create_app``), the ``/v1`` API, admin pages, widget."""
