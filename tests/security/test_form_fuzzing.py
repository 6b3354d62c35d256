"""Every form any visitor can reach, found by crawling, filled by Hypothesis with
hostile input: never a server error, and a refused form changes nothing.

Deterministic by default, so a failure in CI reproduces; FUZZ_EXPLORE=1 draws
fresh random input and ten times the examples."""

import os
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from tests.conftest import PASSWORD
from tests.security.crawl import FOUND, Form, crawl, dump, restore
from trainers.timeutil import to_local, utcnow

EXPLORE = bool(os.environ.get("FUZZ_EXPLORE"))
EXAMPLES = 200 if EXPLORE else 20
VISITORS = ("anonymous", "organiser", "trainer", "office")
# Tables a refused request may still write, and why that is right.
MAY_CHANGE_WHEN_REFUSED = {
    # A failed sign-in is refused and must still count against the address:
    # that write is the throttle.
    "login_throttles",
    # The audit log records who opened or tried to change personal data,
    # whether or not the change went through.
    "audit_entries",
}
# Forms the crawler finds today; a broken crawler finds fewer (see the summary).
FORMS_FOUND_TODAY = 44

NASTY = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "a\x00b",
        "\t\r\n",
        "\x1b[31m\x07\x7f",
        "\u202etxt.exe",
        "مرحبا بالعالم",
        "שלום עולם",
        "🙂🚀👩🏽‍🚀",
        "\ufeff\u200b",
        "Ｔｅｓｔ",
        "１２",
        "١٢٣",
        "<script>alert(1)</script>",
        "' OR '1'='1",
        "{{7*7}}",
        '=HYPERLINK("http://evil.example")',
        "A" * 300,
        "A" * 5_000,
        "ü" * 100_000,
        "-1",
        "0",
        "-0",
        "2147483648",
        "99999999999999999999999",
        "-99999999999999999999999",
        "1e309",
        "1.5",
        "NaN",
        "inf",
        "0x1f",
        "0000-00-00",
        "9999-12-31",
        "0001-01-01",
        "2027-02-30",
        "2027-13-01",
        "31/12/2027",
        "25:61",
        "24:00",
        "23:59:60",
        "-01:00",
        "9999-12-31T23:59",
        "0001-01-01T00:00",
    ]
)
HOSTILE = st.one_of(
    NASTY,
    st.text(st.characters(exclude_categories=["Cs"]), max_size=40),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats().map(str),
    st.dates().map(str),
    st.times().map(lambda t: t.strftime("%H:%M")),
)


def typed(field, index: int) -> str:
    """What a person might type into an empty field; each date a different day."""
    if field.options:
        return next((option for option in field.options if option), "")
    if field.kind == "date":
        day = to_local(utcnow() + timedelta(days=60 + index)).date()
        return day.isoformat()
    by_kind = {
        "email": "fuzz@example.org",
        "time": "20:30" if "end" in field.name else "18:30",
        "datetime-local": "2031-06-17T18:30",
        "number": "10",
        "password": PASSWORD,
    }
    return by_kind.get(field.kind, "TN34" if "postcode" in field.name else "Fuzz")


def sent(name: str, value: str, kind: str) -> list[tuple[str, str]]:
    # An unticked box or unchosen radio is not sent at all.
    unsent = kind in ("checkbox", "radio", "submit") and value == ""
    return [] if unsent else [(name, value)]


@st.composite
def submissions(draw, form: Form) -> list[tuple[str, str]]:
    """A whole submission: the form as the page filled it, or with every empty
    field typed in; then up to three fields hostile, missing or sent twice. The
    CSRF token is kept as the page gave it."""
    fill_in = draw(st.booleans())
    pairs = [("csrf_token", form.csrf_token)] if form.csrf_token else []
    indices = range(len(form.fields))
    spoilt = draw(st.sets(st.sampled_from(indices), max_size=3)) if form.fields else ()
    for index, field in enumerate(form.fields):
        value = field.value or (typed(field, index) if fill_in else "")
        if index not in spoilt:
            pairs += sent(field.name, value, field.kind)
            continue
        how = draw(st.sampled_from(["hostile", "missing", "twice"]))
        if how == "hostile":
            pairs.append((field.name, draw(HOSTILE)))
        elif how == "twice":
            choices = st.one_of(
                st.just(value), st.sampled_from(field.options or ("",)), HOSTILE
            )
            pairs += [
                (field.name, draw(choices)) for _ in range(draw(st.integers(2, 3)))
            ]
    return pairs


def refused(response, browser) -> bool:
    """The app said no: a 4xx, a page showing errors, or a redirect with one."""
    if 400 <= response.status_code < 500:
        return True
    if response.status_code == 200:
        page = response.get_data(as_text=True)
        return 'class="error-summary"' in page or "flash-error" in page
    with browser.session_transaction() as session:
        return any(category == "error" for category, _ in session.get("_flashes", []))


def shown(pairs) -> list[tuple[str, str]]:
    return [
        (name, value if len(value) < 60 else f"{value[:20]!r}... ({len(value)} chars)")
        for name, value in pairs
        if name != "csrf_token"
    ]


def fuzz(app, form: Form, cookie: str, baseline: dict) -> None:
    """Send Hypothesis's submissions of one form; the database is put back after each."""

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=not EXPLORE,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(submissions(form))
    def send(pairs):
        browser = app.test_client()
        browser.set_cookie("session", cookie)
        data = MultiDict(pairs)
        if form.method == "GET":
            response = browser.get(form.action, query_string=data)
        else:
            response = browser.open(form.action, method=form.method, data=data)
        after = dump()
        if after != baseline:
            restore(baseline)
        changed = sorted(
            name
            for name, rows in after.items()
            if rows != baseline[name] and name not in MAY_CHANGE_WHEN_REFUSED
        )
        where = f"{form.label} with {shown(pairs)}"
        assert response.status_code < 500, f"{response.status_code} from {where}"
        if form.method == "GET":
            assert not changed, f"GET wrote to {changed}: {where}"
        elif changed:
            assert not refused(response, browser), (
                f"refused ({response.status_code}) yet wrote to {changed}: {where}"
            )

    send()


def session_cookie(browser) -> str:
    cookie = browser.get_cookie("session")
    assert cookie is not None, "the crawl should have started a session"
    return cookie.value


@pytest.fixture
def csrf_on(app):
    """Forms are sent as a browser sends them: with the token the page gave."""
    app.config["WTF_CSRF_ENABLED"] = True
    return app


def visitor_browser(client, client_for, world, visitor):
    person = world.people[visitor]
    return client if person is None else client_for(person)


@pytest.mark.parametrize("visitor", VISITORS)
def test_every_form_survives_hostile_input(csrf_on, world, client, client_for, visitor):
    app = csrf_on
    public = set()
    if visitor != "anonymous":
        # Sign-in, reset and invitation forms are fuzzed once, as anonymous.
        anonymous = crawl(app, app.test_client(), world.ids)
        public = {form.key for form in anonymous.forms}
    browser = visitor_browser(client, client_for, world, visitor)
    found = crawl(app, browser, world.ids)
    forms = [form for form in found.forms if form.key not in public]
    FOUND[visitor] = [form.label for form in forms]
    cookie = session_cookie(browser)
    baseline = dump()
    failures = []
    for form in forms:
        try:
            fuzz(app, form, cookie, baseline)
        except Exception as error:
            failures.append(f"{form.label}: {error!r}"[:2000])
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("visitor", VISITORS)
def test_pages_answer_change_nothing_and_hold_no_inline_code(
    csrf_on, world, client, client_for, visitor
):
    browser = visitor_browser(client, client_for, world, visitor)
    before = dump()
    found = crawl(app=csrf_on, browser=browser, ids=world.ids)
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
    csrf_on, world, client, client_for
):
    kinds = set()
    for visitor in VISITORS:
        browser = visitor_browser(client, client_for, world, visitor)
        kinds |= {
            (visitor, *form.key) for form in crawl(csrf_on, browser, world.ids).forms
        }
    assert len(kinds) >= FORMS_FOUND_TODAY, sorted(kinds)
