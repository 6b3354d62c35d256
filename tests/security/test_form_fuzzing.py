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
FORMS_FOUND_TODAY = 120


def test_every_page_and_form_holds_for_every_visitor(
    fuzz_app, world, client, client_for
):
    """Each visitor crawls once: every page answers, changes nothing and holds no
    inline code; every form (fuzzed as the first of VISITORS who has it, so a
    sign-in or a request's edit page is fuzzed once) survives hostile input; and
    the crawler still finds every form known today."""
    pages, failures, kinds, fuzzed = [], [], set(), set()
    for visitor in VISITORS:
        browser = visitor_browser(client, client_for, world, visitor)
        before = dump()
        found = crawl(fuzz_app, browser, world.ids)
        pages.extend(_page_problems(visitor, found, before, dump()))
        forms = [form for form in found.forms if form.key not in fuzzed]
        fuzzed |= {form.key for form in forms}
        kinds |= {(visitor, *form.key) for form in found.forms}
        FOUND[visitor] = [form.label for form in forms]
        fuzzer = Fuzzer(fuzz_app, session_cookie(browser))
        for form in forms:
            try:
                fuzzer.fuzz(form)
            except Exception as error:
                failures.append(re.sub(r"\s+", " ", f"{form.label}: {error!r}")[:1500])
        assert fuzzer.sent >= len(forms)
    posting = {
        rule.endpoint
        for rule in fuzz_app.url_map.iter_rules()
        if "POST" in rule.methods
    }
    UNREACHED[:] = sorted(posting - {endpoint for _, _, endpoint, _ in kinds})
    print(*failures, sep="\n")  # in full: an assertion message gets cut short
    assert pages == []
    assert not failures, f"{len(failures)} forms failed: see stdout"
    assert len(kinds) >= FORMS_FOUND_TODAY, sorted(kinds)


def _page_problems(visitor, found, before, after) -> list[str]:
    """What the visitor's crawl found wrong with the pages themselves."""
    problems = [
        f"{visitor}: {status} from {url}"
        for url, status in found.pages.items()
        if status >= 500
    ]
    problems += [f"{visitor}: {error}" for error in found.errors]
    problems += [
        f"{visitor}: a form posts to no route: {form}" for form in found.broken
    ]
    problems += [
        f"{visitor}: inline code a strict CSP would block: {i}" for i in found.inline
    ]
    problems += [
        f"{visitor}: opening pages wrote to {name}"
        for name in before
        if before[name] != after[name] and name not in MAY_CHANGE_WHEN_REFUSED
    ]
    return problems
