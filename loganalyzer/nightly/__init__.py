"""Unattended runs: incremental state, run lock, history dataset, metrics, redaction and progress."""
