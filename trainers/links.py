"""Absolute links for emails and calendars, built from BASE_URL with or without a request."""

from functools import lru_cache
from urllib.parse import urlsplit

from flask import current_app
from werkzeug.routing import Map, MapAdapter


def absolute_url(endpoint: str, **values) -> str:
    """The public URL of an endpoint, e.g. for a link in an email."""
    adapter = _adapter(current_app.url_map, current_app.config["BASE_URL"])
    return adapter.build(endpoint, values, force_external=True)


@lru_cache(maxsize=8)
def _adapter(url_map: Map, base_url: str) -> MapAdapter:
    # Binding the map is the slow part; a feed builds hundreds of links at once.
    base = urlsplit(base_url)
    return url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https"
    )
