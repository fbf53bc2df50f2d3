"""Helpers shared by the test-suite and the benchmarks (no fixtures here)."""
