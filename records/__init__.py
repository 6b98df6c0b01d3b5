"""Maintenance records: the relational domain model, migrations and services."""
