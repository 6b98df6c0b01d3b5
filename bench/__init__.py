"""Speed benchmarks (scripts, not tests)."""
