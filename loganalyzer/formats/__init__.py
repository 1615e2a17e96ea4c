"""Formats: collector wrappers (``wrappers``) and application line formats (``lines``), parsed vectorised."""
