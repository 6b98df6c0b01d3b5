"""Ingestion: parse and chunk manuals, import fault histories into the knowledge base."""
