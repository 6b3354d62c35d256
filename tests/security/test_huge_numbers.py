"""Every route, with a number past what any column holds in every parameter the
app reads as a whole number (its path, query string and form): never a server
error. /requests/new?group_id=9223372036854775808 was one."""

import re
from pathlib import Path

import pytest
from flask_wtf import FlaskForm
from wtforms import IntegerField

from config import ROOT
from tests.security.crawl import fill
from trainers import create_app
from trainers.numbers import whole_number

# Past PostgreSQL's INTEGER, and past SQLite's (and PostgreSQL's BIGINT).
HUGE = (str(2**31), str(2**63))
VISITORS = ("anonymous", "organiser", "trainer", "office")
# `request.args.get("page", 1, type=int)` and the like, wherever they are.
READ_AS_NUMBER = re.compile(r"""\.get\(\s*["'](\w+)["'][^)]*type=int""")


def _forms(cls=FlaskForm) -> list[type]:
    return [cls, *(form for sub in cls.__subclasses__() for form in _forms(sub))]


def number_parameters() -> set[str]:
    """Every query-string or form name the app reads as a whole number."""
    create_app({"TESTING": True})  # every view, and so every form, imported
    names = {
        name
        for form in _forms()
        for owner in form.__mro__
        for name, field in vars(owner).items()
        if issubclass(getattr(field, "field_class", object), IntegerField)
        or getattr(field, "kwargs", {}).get("coerce") in (int, whole_number)
    }
    for source in (ROOT / "trainers").rglob("*.py"):
        names |= set(READ_AS_NUMBER.findall(Path(source).read_text()))
    return names


def test_the_walk_knows_the_numbers_the_app_reads():
    names = number_parameters()
    # A broken scan would find none and prove nothing.
    assert {"group_id", "page", "headcount", "trainer_id", "slot_id"} <= names


@pytest.mark.parametrize("huge", HUGE)
@pytest.mark.parametrize("visitor", VISITORS)
def test_no_route_fails_on_a_huge_number_anywhere(
    world, client, client_for, visitor, huge
):
    app = client.application
    person = world.people[visitor]
    browser = client if person is None else client_for(person)
    numbers = dict.fromkeys(number_parameters(), huge)
    failures, tried = [], 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in (
            "static",
            "auth.logout",
            "auth.sign_out_everywhere",
        ):  # signed out, the rest shows nothing
            continue
        paths = fill(rule.rule, rule.endpoint, world.ids)[:1]
        huge_path = re.sub(r"<int:\w+>", huge, rule.rule)
        for path in {*paths, huge_path} - {rule.rule} if "<" in rule.rule else paths:
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                sent = (
                    {"query_string": numbers} if method == "GET" else {"data": numbers}
                )
                tried += 1
                try:
                    status = browser.open(path, method=method, **sent).status_code
                except Exception as error:  # under TESTING the app raises, not 500s
                    failures.append(f"{method} {path}: {error!r}")
                    continue
                if status >= 500:
                    failures.append(f"{method} {path}: {status}")
    assert tried > 100
    assert failures == []
    if person is not None:
        assert browser.get("/").status_code == 200, "still signed in at the end"
