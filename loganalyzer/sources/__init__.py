"""Sources: find the files to read, open them whatever their compression, and read them in chunks of lines."""

from loganalyzer.sources import archives
from loganalyzer.sources.discover import Discovery, Skipped, Source, discover

__all__ = ["Discovery", "Skipped", "Source", "archives", "discover"]
