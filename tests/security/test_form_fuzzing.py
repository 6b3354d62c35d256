"""Every form any visitor can reach, found by crawling, filled with hostile input:
never a server error, and a refused form changes nothing.

Each form gets a sweep (each field in turn set to the edge values of its kind,
the rest filled in sensibly) and Hypothesis's mixtures of long strings, unicode,
control characters, huge numbers, impossible dates, missing and repeated fields
(see fuzzing.py). The forms covered are listed at the end of the run."""

import re

import pytest

from tests.security.crawl import FOUND, UNREACHED, crawl, dump
from tests.security.fuzzing import (
    MAY_CHANGE_WHEN_REFUSED,
    VISITORS,
    Fuzzer,
    session_cookie,
    visitor_browser,
)

pytestmark = pytest.mark.slow

# Kinds of form per visitor the crawler finds today; a broken crawler finds fewer.
FORMS_FOUND_TODAY = 103


@pytest.mark.parametrize("visitor", VISITORS)
def test_every_form_survives_hostile_input(
    fuzz_app, world, client, client_for, visitor
):
    app = fuzz_app
    # A form another visitor also has (sign-in, a request's edit page, a trainer's
    # profile) is fuzzed once, as the first of VISITORS who has it.
    earlier = set()
    for other in VISITORS[: VISITORS.index(visitor)]:
        other_browser = visitor_browser(app.test_client(), client_for, world, other)
        earlier |= {form.key for form in crawl(app, other_browser, world.ids).forms}
    browser = visitor_browser(client, client_for, world, visitor)
    forms = [f for f in crawl(app, browser, world.ids).forms if f.key not in earlier]
    FOUND[visitor] = [form.label for form in forms]
    fuzzer = Fuzzer(app, session_cookie(browser))
    failures = []
    for form in forms:
        try:
            fuzzer.fuzz(form)
        except Exception as error:
            failures.append(re.sub(r"\s+", " ", f"{form.label}: {error!r}")[:1500])
    print(*failures, sep="\n")  # in full: an assertion message gets cut short
    assert not failures, f"{len(failures)} of {len(forms)} forms failed: see stdout"
    assert fuzzer.sent >= len(forms)


@pytest.mark.parametrize("visitor", VISITORS)
def test_pages_answer_change_nothing_and_hold_no_inline_code(
    fuzz_app, world, client, client_for, visitor
):
    browser = visitor_browser(client, client_for, world, visitor)
    before = dump()
    found = crawl(app=fuzz_app, browser=browser, ids=world.ids)
    after = dump()
    errors = {url: status for url, status in found.pages.items() if status >= 500}
    assert errors == {}, found.errors
    assert found.broken == [], "forms that post to no route"
    assert found.inline == [], "inline code a strict CSP would block"
    changed = [
        name
        for name in before
        if before[name] != after[name] and name not in MAY_CHANGE_WHEN_REFUSED
    ]
    assert changed == [], "opening pages wrote to the database"


def test_the_crawler_still_finds_every_form_known_today(
    fuzz_app, world, client, client_for
):
    kinds = set()
    for visitor in VISITORS:
        browser = visitor_browser(client, client_for, world, visitor)
        found = crawl(fuzz_app, browser, world.ids)
        kinds |= {(visitor, *form.key) for form in found.forms}
    posting = {
        rule.endpoint
        for rule in fuzz_app.url_map.iter_rules()
        if "POST" in rule.methods
    }
    UNREACHED[:] = sorted(posting - {endpoint for _, _, endpoint, _ in kinds})
    assert len(kinds) >= FORMS_FOUND_TODAY, sorted(kinds)
