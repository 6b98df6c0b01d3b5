"""Knowledge base: embedder, vector index, hybrid search with citations."""
