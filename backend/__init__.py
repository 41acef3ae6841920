"""Xinrong (信融) backend: settings, database, domain services and the Starlette app."""
