"""Command-line commands: `flask --app wsgi demo`."""

from flask import Flask


def register_commands(app: Flask) -> None:
    """Add the project's commands to `flask`."""
