"""Maintainer tools: the bundle generator (tests and benchmark), upstream inventories."""
