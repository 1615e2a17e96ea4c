"""Outputs: the tables (Parquet/CSV/JSON Lines, written atomically) and the terminal summary."""
