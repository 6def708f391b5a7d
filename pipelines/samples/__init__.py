"""Deterministic sample deliveries of every department feed (see `generate_landing_zone`)."""

from pipelines.samples.generate import generate_landing_zone
from pipelines.samples.summary import FileSummary, GenerationSummary

__all__ = ["FileSummary", "GenerationSummary", "generate_landing_zone"]
