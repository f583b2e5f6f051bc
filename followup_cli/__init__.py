"""followup: plan and log customer follow-ups for a small shop, over one SQLite file."""

__version__ = "0.1.0"
