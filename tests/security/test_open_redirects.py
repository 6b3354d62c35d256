"""No `next` (or any other "go back to") parameter can send a visitor to another
site, judged the way a browser reads the Location header, not the way Python
splits a URL."""

import re
from dataclasses import replace
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import PASSWORD
from tests.security.crawl import crawl
from tests.security.fuzzing import (
    VISITORS,
    Fuzzer,
    filled,
    sent,
    session_cookie,
    visitor_browser,
    with_token,
)
from trainers.viewhelpers import safe_next

OURS = "localhost"
HOME = "/"
# What browsers drop (WHATWG URL standard): C0 controls and spaces at either end,
# and every tab and newline anywhere.
ENDS = "".join(map(chr, range(0x21)))


def browser_host(location: str) -> str | None:
    """The host a browser on our site goes to when told `location`; None for a
    scheme that is no web page at all (javascript:, data:)."""
    url = re.sub(r"[\t\n\r]", "", location.strip(ENDS))
    scheme = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):", url)
    if scheme:
        name, rest = scheme.group(1).lower(), url[scheme.end() :]
        if name not in ("http", "https"):
            return None
        if name == "https" and not rest.startswith(("/", "\\")):
            return OURS  # "https:page" is a path on the same site
        return _host(rest.lstrip("/\\"))
    if re.match(r"[/\\]{2}", url):
        return _host(url[2:])
    return OURS


def _host(authority_and_more: str) -> str:
    authority = re.split(r"[/\\?#]", authority_and_more, maxsplit=1)[0]
    return authority.rsplit("@", 1)[-1].split(":")[0].lower()


OFF_SITE = [
    "//evil.example",
    "///evil.example",
    "https://evil.example",
    "http://evil.example/",
    "HTTPS://evil.example",
    "https:/evil.example",
    "https:\\\\evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "\t//evil.example",
    " //evil.example",
    "\x01//evil.example",
    "%2F%2Fevil.example",
    "%2f%5cevil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "//localhost@evil.example",
    "https://localhost.evil.example",
    "/\x00/evil.example",
    "/\x7f/evil.example",
]
ON_SITE = ["/office/groups", "/requests/?status=booked", "/requests/2#history"]
# Odd, but paths on this site whatever a browser makes of them.
ODD_BUT_ON_SITE = ["/ /evil.example", "/%2F/evil.example", "/.//evil.example"]


@pytest.mark.parametrize("target", OFF_SITE + ON_SITE + ODD_BUT_ON_SITE)
def test_safe_next_never_leaves_the_site(target):
    location = safe_next(target, HOME)
    assert browser_host(location) == OURS, f"{target!r} -> {location!r}"


@pytest.mark.parametrize("target", ON_SITE)
def test_safe_next_keeps_a_page_on_this_site(target):
    assert safe_next(target, HOME) == target


def test_the_browser_model_sees_the_attacks_it_should():
    """The judge itself must tell an escape when it sees one."""
    escapes = ["//evil.example", "/\t/evil.example", "\\/evil.example"]
    assert {browser_host(u) for u in escapes} == {"evil.example"}
    assert browser_host("javascript:alert(1)") is None
    assert browser_host("https:page") == OURS


PIECES = st.sampled_from(
    ["/", "\\", "//", "\t", "\n", "\r", " ", "\x00", "\x0b", "\x1f", "\x7f", ":",
     "@", ".", "..", "%2F", "%5C", "%09", "?", "#", "evil.example", "localhost",
     "https:", "http:", "javascript:", "data:", "\u3002", "\uff0f", "\uff3c", "a"]
)  # fmt: skip
TARGETS = st.one_of(
    st.lists(PIECES, max_size=8).map("".join),
    st.text(max_size=30),
)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(TARGETS)
def test_no_next_value_leaves_the_site(target):
    location = safe_next(target, HOME)
    assert browser_host(location) == OURS, f"{target!r} -> {location!r}"
    assert not re.search(r"[\x00-\x1f\x7f]", location), "no control characters"


def sign_in(app, target: str):
    return app.test_client().post(
        "/login?next=" + quote(target, safe=""),
        data={"email": "ann@example.org", "password": PASSWORD},
    )


def test_sign_in_never_redirects_off_site(app, make_user):
    make_user("ann@example.org")
    answers = {target: sign_in(app, target) for target in OFF_SITE}
    went = {
        target: (response.status_code, response.headers.get("Location"))
        for target, response in answers.items()
        # 400: a NUL is refused before sign-in is even tried.
        if (response.status_code, response.headers.get("Location")) != (302, HOME)
        and not (response.status_code == 400 and "\x00" in target)
    }
    assert went == {}


def test_sign_in_may_follow_an_odd_path_that_stays_on_the_site(app, make_user):
    make_user("ann@example.org")
    for target in ODD_BUT_ON_SITE:
        location = sign_in(app, target).headers["Location"]
        assert browser_host(location) == OURS, f"{target!r} -> {location!r}"


def test_sign_in_follows_next_to_a_page_on_this_site(app, make_user):
    make_user("ann@example.org", office=True)
    assert sign_in(app, "/office/groups").headers["Location"] == "/office/groups"


def test_a_newline_in_next_is_no_server_error(app, make_user):
    """Regression: "/a\\nb" passed the check, then broke the Location header (500)."""
    make_user("ann@example.org")
    response = sign_in(app, "/a\r\nSet-Cookie: x=1")
    assert response.status_code == 302
    assert response.headers["Location"] == HOME
    assert "x=1" not in response.headers.get("Set-Cookie", "")


def test_a_protected_page_brings_the_visitor_back_after_sign_in(app, make_user):
    make_user("ann@example.org", office=True)
    browser = app.test_client()
    to_login = browser.get("/office/groups?region=London")
    assert to_login.status_code == 302
    login_url = to_login.headers["Location"]
    response = browser.post(
        login_url, data={"email": "ann@example.org", "password": PASSWORD}
    )
    assert response.headers["Location"] == "/office/groups?region=London"


def test_sign_in_with_any_next_stays_on_the_site(app, make_user):
    make_user("ann@example.org")

    # Each example signs in for real (a scrypt check), so there are few of them.
    @settings(max_examples=15, deadline=None, derandomize=True, database=None)
    @given(TARGETS)
    def stays(target):
        response = sign_in(app, target)
        assert response.status_code in (302, 400)
        if response.status_code == 302:
            assert browser_host(response.headers["Location"]) == OURS

    stays()


# Names a "go back to" parameter might take, on any page or form added later.
RETURN_PARAMETERS = ("next", "return_to", "return", "redirect", "redirect_to", "url")


@pytest.mark.parametrize("visitor", VISITORS)
def test_no_page_or_form_redirects_off_site_through_a_parameter(
    fuzz_app, world, client, client_for, visitor
):
    """Every page and every form (filled in sensibly), each given return
    parameters that point away: any redirect still lands on this site."""
    browser = visitor_browser(client, client_for, world, visitor)
    found = crawl(fuzz_app, browser, world.ids)
    fuzzer = Fuzzer(fuzz_app, session_cookie(browser))
    away = "&".join(f"{name}=%2F%2Fevil.example" for name in RETURN_PARAMETERS)
    answers = {}
    for url in found.pages:
        response = browser.get(url + ("&" if "?" in url else "?") + away)
        response.close()
        answers[f"GET {url}"] = response
    for form in found.forms:
        values = filled(form, fill_in=True)
        pairs = [
            p for f, v in zip(form.fields, values, strict=True) for p in sent(f, v)
        ]
        if form.method == "GET":  # a browser sends a GET form's fields as its query
            pairs += [(name, "//evil.example") for name in RETURN_PARAMETERS]
        else:
            action = form.action + ("&" if "?" in form.action else "?") + away
            form = replace(form, action=action)
        answers[form.label] = fuzzer.send(form, with_token(form, pairs))
    off_site = {
        what: response.headers["Location"]
        for what, response in answers.items()
        if response.status_code in (301, 302, 303, 307, 308)
        and browser_host(response.headers["Location"]) != OURS
    }
    assert off_site == {}
    assert len(answers) > len(found.forms) > 0
