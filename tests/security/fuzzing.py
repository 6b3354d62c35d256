"""Filling in forms with hostile input, as a visitor: the values, the Hypothesis
strategies and the sender that checks each answer and puts the database back.

Deterministic by default, so a failure in CI reproduces; FUZZ_EXPLORE=1 draws
fresh random input and ten times the examples."""

import io
import os
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from tests.conftest import PASSWORD
from tests.security.crawl import Field, Form, dump, fingerprint, restore
from trainers.timeutil import to_local, utcnow

EXPLORE = bool(os.environ.get("FUZZ_EXPLORE"))
EXAMPLES = 200 if EXPLORE else 20
VISITORS = ("anonymous", "organiser", "trainer", "office")
# Tables a refused request may still write, and why that is right.
MAY_CHANGE_WHEN_REFUSED = {
    # A failed sign-in is refused and must still count against the address:
    # that write is the throttle.
    "login_throttles",
    # Rate limits count every request to a limited page, answered or refused.
    "rate_limit_counters",
    # The audit log records who opened or tried to change personal data,
    # whether or not the change went through.
    "audit_entries",
}


# The values most likely to break each kind of field, each tried on every field.
EDGES = {
    "number": ["2147483648", "-2147483649", "99999999999999999999", "1e309", " "],
    "date": ["9999-12-31", "0001-01-01"],
    "time": ["25:61"],
    # Text boxes hold ids and counts too (a "person" filter): a number past 32 bits.
    "text": ["\x00", "A" * 5_000, "\u202e🙂\u200b\r\n", "2147483648"],
    "choice": ["not-an-option", " "],
    "file": [
        "\udcff\udcfe\x00\x01 not text at all",
        "name,email,consent\r\n" + "Ann,ann@example.org,yes\r\n" * 5_000,
        'name,email,consent\n"unterminated,x@example.org,yes\n',
        '=HYPERLINK("http://evil.example"),@SUM(1),yes\n',
        "\ufeffname;email;consent\nAnn;ann@example.org;yes\n",
        "name,email,consent\r\nA\x00nn \u202eRTL,ann@example.org,yes\r\n",
    ],
}
# The one upload today takes a roster; any other still meets the hostile files.
UPLOAD = "name,email,consent\r\nAnn Example,ann@example.org,yes\r\n"
STRANGE = st.sampled_from(
    [
        "",
        " ",
        "a\x00b",
        "\t\r\n",
        "\x1b[31m\x07\x7f",
        "مرحبا بالعالم",
        "שלום עולם",
        "👩🏽‍🚀",
        "\ufeff",
        "Ｔｅｓｔ",
        "١٢٣",
        "<script>alert(1)</script>",
        "' OR '1'='1",
        "{{7*7}}",
        '=HYPERLINK("http://evil.example")',
        "ü" * 100_000,
        "-1",
        "0",
        "-0",
        "1.5",
        "NaN",
        "inf",
        "0x1f",
        "0000-00-00",
        "2027-02-30",
        "2027-13-01",
        "31/12/2027",
        "24:00",
        "23:59:60",
        "-01:00",
        "9999-12-31T23:59",
        "0001-01-01T00:00",
        *(
            value
            for kind, values in EDGES.items()
            if kind != "file"
            for value in values
        ),
    ]
)
HOSTILE = st.one_of(
    STRANGE,
    st.text(st.characters(exclude_categories=["Cs"]), max_size=40),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats().map(str),
    st.dates().map(str),
    st.times().map(lambda t: t.strftime("%H:%M")),
)


def typed(field: Field, index: int) -> str:
    """What a person might type into an empty field; each date a different day."""
    if field.options:
        return next((option for option in field.options if option), "")
    day = to_local(utcnow() + timedelta(days=60 + index)).date().isoformat()
    by_kind = {
        "date": day,
        "datetime-local": f"{day}T18:30",
        "email": "fuzz@example.org",
        "time": "20:30" if "end" in field.name else "18:30",
        "number": "10",
        "password": PASSWORD,
        "file": UPLOAD,
    }
    return by_kind.get(field.kind, "TN34" if "postcode" in field.name else "Fuzz")


def edge_kind(field: Field) -> str:
    """Which edge values suit a field: ids and counts are numbers."""
    values = [*field.options, field.value]
    if field.kind == "number" or (
        field.kind in ("hidden", "select", "radio") and any(v.isdigit() for v in values)
    ):
        return "number"
    if field.kind in ("date", "time", "file"):
        return field.kind
    if field.options:
        return "choice"
    return "text"


def sent(field: Field, value: str) -> list[tuple[str, str]]:
    """The field as a browser sends it: an unticked box is not sent at all."""
    unsent = field.kind in ("checkbox", "radio", "submit") and value == ""
    return [] if unsent else [(field.name, value)]


def filled(form: Form, fill_in: bool) -> list[str]:
    """Each field as the page filled it, or with every empty one typed in."""
    return [
        field.value or (typed(field, index) if fill_in else "")
        for index, field in enumerate(form.fields)
    ]


def with_token(form: Form, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The submission with the CSRF token the page gave, first as a browser sends it."""
    return ([("csrf_token", form.csrf_token)] if form.csrf_token else []) + pairs


def sweep(form: Form):
    """One field at a time set to each edge value of its kind, the rest filled in."""
    values = filled(form, fill_in=True)
    for field in form.fields:
        for edge in EDGES[edge_kind(field)]:
            pairs = []
            for other, value in zip(form.fields, values, strict=True):
                pairs += [(field.name, edge)] if other is field else sent(other, value)
            yield with_token(form, pairs)


@st.composite
def submissions(draw, form: Form) -> list[tuple[str, str]]:
    """The form filled in (or as the page left it), then up to three fields
    hostile, missing or sent more than once."""
    values = filled(form, fill_in=draw(st.booleans()))
    indices = range(len(form.fields))
    spoilt = draw(st.sets(st.sampled_from(indices), max_size=3)) if form.fields else ()
    pairs = []
    for index, (field, value) in enumerate(zip(form.fields, values, strict=True)):
        if index not in spoilt:
            pairs += sent(field, value)
            continue
        how = draw(st.sampled_from(["hostile", "missing", "twice"]))
        if how == "hostile":
            pairs.append((field.name, draw(HOSTILE)))
        elif how == "twice":
            choices = st.one_of(st.sampled_from([value, *field.options]), HOSTILE)
            pairs += [
                (field.name, draw(choices)) for _ in range(draw(st.integers(2, 3)))
            ]
    return with_token(form, pairs)


def as_file(content: str) -> tuple[io.BytesIO, str]:
    """An uploaded file; lone surrogates stand for bytes that are not UTF-8."""
    return io.BytesIO(content.encode("utf-8", "surrogateescape")), "upload.csv"


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
    """The submission for a failure message: long values cut, no token."""
    return [
        (name, value if len(value) < 60 else f"{value[:20]!r}... ({len(value)} chars)")
        for name, value in pairs
        if name != "csrf_token"
    ]


class Fuzzer:
    """Sends submissions of forms as one visitor; the database is put back after
    each, so every submission meets the same world."""

    def __init__(self, app, cookie: str):
        self.app, self.cookie = app, cookie
        self.rows, self.marks = dump(), fingerprint()
        self.sent = 0

    def send(self, form: Form, pairs: list[tuple[str, str]]):
        """Submit the form; fail on a server error, or a refusal that wrote."""
        browser = self.app.test_client()
        browser.set_cookie("session", self.cookie)
        uploads = {field.name for field in form.fields if field.kind == "file"}
        data = MultiDict(
            (name, as_file(value) if name in uploads else value)
            for name, value in pairs
        )
        where = f"{form.label} with {shown(pairs)}"
        try:
            if form.method == "GET":
                response = browser.get(form.action, query_string=data)
            else:
                response = browser.open(form.action, method=form.method, data=data)
            response.get_data()
            response.close()  # a streamed download holds its request open until closed
        except Exception as error:  # under TESTING the app raises, not answers 500
            raise AssertionError(f"{error!r} from {where}") from error
        finally:
            self.sent += 1
            marks = fingerprint()
            written = {name for name in marks if marks[name] != self.marks[name]}
            if written:
                restore(self.rows, written)
        changed = sorted(written - MAY_CHANGE_WHEN_REFUSED)
        assert response.status_code < 500, f"{response.status_code} from {where}"
        if form.method == "GET":
            assert not changed, f"GET wrote to {changed}: {where}"
        elif changed:
            assert not refused(response, browser), (
                f"refused ({response.status_code}) yet wrote to {changed}: {where}"
            )
        return response

    def fuzz(self, form: Form) -> None:
        """The sweep, then Hypothesis."""
        for pairs in sweep(form):
            self.send(form, pairs)

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=not EXPLORE,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(submissions(form))
        def hostile(pairs):
            self.send(form, pairs)

        hostile()


def session_cookie(browser) -> str:
    """The session a crawl started: signed in, with the pages' CSRF token."""
    cookie = browser.get_cookie("session")
    assert cookie is not None, "the crawl should have started a session"
    return cookie.value


def visitor_browser(client, client_for, world, visitor):
    """A browser for a visitor of the world: `client` for the anonymous one."""
    person = world.people[visitor]
    return client if person is None else client_for(person)
