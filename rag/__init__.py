"""Offline, Chinese-first document Q&A with verified citations."""

__version__ = "0.1.0"
