"""Every way in: the ``bosun`` CLI, the REST API, chat adapters. The composition root."""
