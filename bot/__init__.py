"""Mechanics: settings, application wiring, storage, scheduling and sending."""
