"""The header every signed-in page carries: at most six top-level entries for
the office, fewer for others, and the person's own settings in an account menu."""

from html.parser import HTMLParser

import pytest

from trainers.extensions import db

ACCOUNT = [
    "Contact details",
    "Password",
    "Calendar",
    "Sign-ins",
    "API tokens",
    "Sign out",
]


class Header(HTMLParser):
    """Each header nav's top-level entries: the text of each <li> directly
    under the nav's list, and the links of any menu it opens."""

    def __init__(self):
        super().__init__()
        self.navs: dict[str, list[str]] = {}
        self.menus: dict[str, list[str]] = {}
        self._nav = self._entry = None
        self._depth = 0  # lists open inside the current nav
        self._text: list[str] = []
        self._in_summary = False
        self._menu = None
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "nav":
            self._nav = attrs["aria-label"]
            self.navs[self._nav] = []
        elif self._nav and tag == "ul":
            self._depth += 1
        elif self._nav and tag == "li" and self._depth == 1:
            self._entry, self._text = True, []
        elif self._nav and tag == "summary":
            self._in_summary, self._text = True, []
        elif tag == "span" and "visually-hidden" in attrs.get("class", ""):
            self._hidden += 1
        elif self._menu is not None and tag in ("a", "button"):
            self._text = []

    def handle_endtag(self, tag):
        if tag == "nav":
            self._nav = None
        elif self._nav and tag == "ul":
            self._depth -= 1
        elif tag == "span" and self._hidden:
            self._hidden -= 1
        elif self._nav and tag == "summary":
            self._in_summary = False
            self._menu = "".join(self._text).strip()
            self.menus[self._menu] = []
            self.navs[self._nav].append(self._menu)
            self._entry = None
        elif self._menu is not None and tag in ("a", "button"):
            self.menus[self._menu].append("".join(self._text).strip())
        elif tag == "details":
            self._menu = None
        elif self._nav and tag == "li" and self._depth == 1 and self._entry:
            self.navs[self._nav].append("".join(self._text).strip())
            self._entry = None

    def handle_data(self, data):
        if not self._hidden:
            self._text.append(data)


def header_of(browser) -> Header:
    header = Header()
    header.feed(browser.get("/").get_data(as_text=True))
    return header


@pytest.mark.parametrize(
    ("role", "main"),
    [
        ("office", ["Home", "Requests", "Network", "Coverage", "Mail"]),
        ("organiser", ["Home", "Requests", "Topics"]),
        ("trainer", ["Home", "My trainer profile", "Open requests", "Topics"]),
    ],
)
def test_each_role_has_a_short_top_level_and_an_account_menu(
    role, main, client_for, make_user, make_trainer, group
):
    person = {
        "office": lambda: make_user("office@example.org", office=True),
        "organiser": lambda: make_user("org@example.org", groups=[group]),
        "trainer": lambda: make_trainer("trainer@example.org"),
    }[role]()
    header = header_of(client_for(person))
    assert header.navs == {"Main": main, "Your account": ["Account"]}
    assert len(main) + 1 <= 6
    assert header.menus["Account"] == ACCOUNT
    if role == "office":
        assert header.menus["Requests"] == ["All requests", "Plan"]
        assert header.menus["Network"] == [
            "Groups",
            "Topics",
            "People",
            "Import from CSV",
        ]
        assert header.menus["Coverage"] == [
            "Coverage",
            "Where to recruit",
            "Data quality",
        ]
        assert header.menus["Mail"] == ["Outgoing mail", "Webhooks"]


def test_an_office_account_that_trains_finds_its_profile_in_the_account_menu(
    client_for, make_trainer
):
    person = make_trainer("both@example.org")
    person.is_office = True
    db.session.commit()
    header = header_of(client_for(person))
    assert len(header.navs["Main"]) + len(header.navs["Your account"]) == 6
    assert header.menus["Account"] == ["My trainer profile", *ACCOUNT]
