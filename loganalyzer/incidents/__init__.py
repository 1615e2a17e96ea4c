"""Incidents: events grouped per signature × host × quiet-gap window, explained from their evidence."""

from loganalyzer.incidents.build import INCIDENT_SCHEMA, build
from loganalyzer.incidents.correlate import correlate
from loganalyzer.incidents.grouping import group

__all__ = ["INCIDENT_SCHEMA", "build", "correlate", "group"]
