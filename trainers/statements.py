"""Statements built once per process, for the pages bench/load.py and the
candidate list bench/matching.py hold to a target: there, building a statement
and its cache key costs more than running it (bench/README.md has the figures).
Everywhere else a statement is built where it is used."""

import functools
from collections.abc import Callable
from typing import NamedTuple, TypeVar

from sqlalchemy import BindParameter, bindparam

Builder = TypeVar("Builder", bound=Callable)


def built_once(builder: Builder) -> Builder:
    """Build the statement once for each set of arguments; what differs between
    calls is bound when it runs (bindparam)."""
    return functools.cache(builder)  # type: ignore[return-value]


class AnyViewer(NamedTuple):
    """Whoever is looking, for a `visible_to` scope in a statement built once:
    their id is bound when it runs, as `viewer_id`."""

    is_office: bool
    id: BindParameter[int] = bindparam("viewer_id")
