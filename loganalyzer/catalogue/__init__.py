"""The signature catalogue: plain-data rules (``patterns/``), their loading and validation."""

from loganalyzer.catalogue.load import Catalogue, load, load_or_raise, shipped_dir
from loganalyzer.catalogue.problems import CatalogueError, Problem
from loganalyzer.catalogue.signature import Example, Signature

__all__ = ["Catalogue", "CatalogueError", "Example", "Problem", "Signature", "load", "load_or_raise", "shipped_dir"]
