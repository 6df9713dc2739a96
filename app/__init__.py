"""Mediator Log: offline-first encrypted field log for mediators and their team leads."""

__version__ = "0.1.0"
