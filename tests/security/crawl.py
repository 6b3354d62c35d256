"""A small crawler for the security tests: it walks a visitor's pages from the URL
map and the links on them, and collects every form with its fields, options and
hidden values, so forms added later are found without being listed anywhere."""

import itertools
import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from flask import Flask
from sqlalchemy import select, text
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map

from trainers.auth.models import User
from trainers.coverage.models import CoverageChange, CoverageMonth
from trainers.extensions import db

# Pages that are not HTML or that a crawler should not open.
NOT_CRAWLED = {"static", "calendar.feed", "calendar.session_file", "home.healthz"}
# The world's token for each route's `<token>`. A route whose parameters the
# world cannot fill is still reached through the links on other pages.
TOKEN_PARAMS = {
    "auth.accept_invitation": "invitation_token",
    "auth.reset_password": "reset_token",
    "calendar.feed": "feed_token",
}
# Query strings (filters, pages) make many URLs of one page: a few are enough.
PAGES_PER_ENDPOINT = 4
MAX_PAGES = 250
# The forms each visitor's fuzz test covered, for the summary at the end of a run.
FOUND: dict[str, list[str]] = {}
# State-changing routes that no form on any crawled page posts to.
UNREACHED: list[str] = []


@dataclass(frozen=True)
class Field:
    """One named control: its kind, the value the page filled in and any choices."""

    name: str
    kind: str
    value: str = ""
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class Form:
    """A form as a browser would send it."""

    page: str
    method: str
    action: str
    endpoint: str
    fields: tuple[Field, ...]
    csrf_token: str | None

    @property
    def key(self) -> tuple:
        return (self.method, self.endpoint, tuple(f.name for f in self.fields))

    @property
    def label(self) -> str:
        names = ", ".join(f.name for f in self.fields) or "no fields"
        return f"{self.method} {self.endpoint} [{names}] from {self.page}"


@dataclass
class _OpenForm:
    method: str
    action: str
    fields: dict[str, Field] = field(default_factory=dict)
    csrf_token: str | None = None


class PageParser(HTMLParser):
    """Forms, links and anything a strict Content-Security-Policy would block."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[_OpenForm] = []
        self.links: list[str] = []
        self.inline: list[str] = []
        self._form: _OpenForm | None = None
        self._select: dict | None = None
        self._option: dict | None = None
        self._textarea: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        for name in attrs:
            if name.startswith("on") or name == "style":
                self.inline.append(f"<{tag} {name}=...>")
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
            if attrs["href"].strip().lower().startswith("javascript:"):
                self.inline.append(f"<a href={attrs['href']!r}>")
        elif tag == "style":
            self.inline.append("<style> element")
        elif tag == "script" and not attrs.get("src"):
            self.inline.append("inline <script>")
        elif tag == "form":
            self._form = _OpenForm(
                method=(attrs.get("method") or "get").upper(),
                action=attrs.get("action", ""),
            )
            self.forms.append(self._form)
        elif self._form is not None:
            self._control(tag, attrs)

    def _control(self, tag, attrs):
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text").lower()
            if name == "csrf_token":
                self._form.csrf_token = attrs.get("value")
            elif kind in ("checkbox", "radio"):
                self._add_choice(
                    name, kind, attrs.get("value", "on"), "checked" in attrs
                )
            elif kind not in ("submit", "button", "reset", "image"):
                self._add(Field(name, kind, attrs.get("value", "")))
        elif tag == "button" and name:
            self._add_choice(name, "submit", attrs.get("value", ""), False)
        elif tag == "select" and name:
            self._select = {"name": name, "options": [], "value": None}
        elif tag == "option" and self._select is not None:
            self._option = {
                "value": attrs.get("value"),
                "text": "",
                "selected": "selected" in attrs,
            }
        elif tag == "textarea" and name:
            self._textarea = {"name": name, "text": ""}

    def _add(self, control: Field) -> None:
        self._form.fields.setdefault(control.name, control)

    def _add_choice(self, name, kind, value, checked):
        known = self._form.fields.get(name)
        options = (*known.options, value) if known else (value,)
        chosen = value if checked else (known.value if known else "")
        self._form.fields[name] = Field(name, kind, chosen, options)

    def handle_data(self, data):
        if self._option is not None:
            self._option["text"] += data
        if self._textarea is not None:
            self._textarea["text"] += data

    def handle_endtag(self, tag):
        if tag == "option" and self._option is not None:
            self._close_option()
        elif tag == "select" and self._select is not None:
            if self._option is not None:
                self._close_option()
            select_ = self._select
            options = tuple(select_["options"])
            value = select_["value"] or (options[0] if options else "")
            self._add(Field(select_["name"], "select", value, options))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self._add(
                Field(
                    self._textarea["name"], "textarea", self._textarea["text"].strip()
                )
            )
            self._textarea = None
        elif tag == "form":
            self._form = None

    def _close_option(self):
        option = self._option
        value = (
            option["value"] if option["value"] is not None else option["text"].strip()
        )
        self._select["options"].append(value)
        if option["selected"]:
            self._select["value"] = value
        self._option = None


def fill(rule: str, endpoint: str, ids: dict) -> list[str]:
    """The rule's paths with the world's ids: for `session_id`, every world id
    named so or ending so (`past_session_id`). None if the world lacks one."""
    names = re.findall(r"<(?:\w+:)?(\w+)>", rule)
    choices = []
    for name in names:
        if name == "token":
            keys = [TOKEN_PARAMS.get(endpoint, name)]
        else:
            keys = [key for key in ids if key == name or key.endswith(f"_{name}")]
        values = [ids[key] for key in keys if key in ids]
        if not values:
            return []
        choices.append(values)
    return [_put(rule, combo) for combo in itertools.product(*choices)]


def _put(rule: str, values: tuple) -> str:
    given = iter(values)
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda _: str(next(given)), rule)


def seeds(app: Flask, ids: dict) -> Iterator[str]:
    """Every GET page of the URL map the world has ids for."""
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.endpoint not in NOT_CRAWLED:
            yield from fill(rule.rule, rule.endpoint, ids)


def endpoint_of(url_map: Map, path: str, method: str) -> str | None:
    """The endpoint a method on a path reaches, or None if none does."""
    adapter = url_map.bind("localhost")
    try:
        endpoint, _ = adapter.match(urlsplit(path).path, method=method)
    except HTTPException:
        return None
    return endpoint


@dataclass
class Crawl:
    """What a visitor could reach: pages by status, forms, and policy breaches."""

    pages: dict[str, int] = field(default_factory=dict)
    forms: list[Form] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    inline: list[str] = field(default_factory=list)


def crawl(app: Flask, browser, ids: dict) -> Crawl:
    """Open every page a visitor can reach and collect its forms, one per kind."""
    found = Crawl()
    queue = list(seeds(app, ids))
    per_endpoint: dict[str, int] = {}
    seen_forms: set[tuple] = set()
    while queue and len(found.pages) < MAX_PAGES:
        url = queue.pop(0)
        endpoint = endpoint_of(app.url_map, url, "GET")
        if url in found.pages or endpoint is None or endpoint in NOT_CRAWLED:
            continue
        if per_endpoint.get(endpoint, 0) >= PAGES_PER_ENDPOINT:
            continue
        per_endpoint[endpoint] = per_endpoint.get(endpoint, 0) + 1
        try:
            response = browser.get(url)
        except Exception as error:  # the app under TESTING raises what would be a 500
            found.pages[url] = 500
            found.errors.append(f"{url}: {error!r}")
            continue
        found.pages[url] = response.status_code
        page = response.get_data(as_text=True)
        response.close()  # a streamed download holds its request open until closed
        if response.status_code >= 500 or response.mimetype != "text/html":
            continue
        parser = PageParser()
        parser.feed(page)
        found.inline += [f"{url}: {what}" for what in parser.inline]
        for raw in parser.forms:
            form = _resolve(app, url, raw)
            if form is None:
                found.broken.append(f"{url}: {raw.method} {raw.action!r}")
            elif form.key not in seen_forms:
                seen_forms.add(form.key)
                found.forms.append(form)
        for href in parser.links:
            target = urljoin(url, href)
            parts = urlsplit(target)
            if parts.scheme in ("", "http") and parts.netloc in ("", "localhost"):
                local = parts.path + (f"?{parts.query}" if parts.query else "")
                if local not in found.pages:
                    queue.append(local)
    return found


def _resolve(app: Flask, page: str, raw: _OpenForm) -> Form | None:
    action = urljoin(page, raw.action) if raw.action else page
    parts = urlsplit(action)
    if parts.netloc not in ("", "localhost"):
        return None
    endpoint = endpoint_of(app.url_map, action, raw.method)
    if endpoint is None:
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return Form(
        page=page,
        method=raw.method,
        action=path,
        endpoint=endpoint,
        fields=tuple(raw.fields.values()),
        csrf_token=raw.csrf_token,
    )


def dump() -> dict[str, list[dict]]:
    """Every row of every table, in a stable order."""
    with db.engine.connect() as connection:
        return {
            table.name: sorted(
                (dict(row._mapping) for row in connection.execute(select(table))),
                key=repr,
            )
            for table in db.metadata.sorted_tables
        }


def fingerprint() -> dict[str, object]:
    """Something per table that changes whenever its rows do, from one query:
    on PostgreSQL a digest of each table; on SQLite each row as text, sorted
    (reading every row as a dict is what made the crawl slow)."""
    quote = db.engine.dialect.identifier_preparer.quote
    tables = db.metadata.sorted_tables
    # Table and column names come from our own metadata, never from input.
    if db.engine.dialect.name == "postgresql":
        query = " UNION ALL ".join(
            f"SELECT '{table.name}', md5(coalesce(string_agg(r::text, '|' "  # noqa: S608
            f"ORDER BY r::text), '')) FROM {quote(table.name)} r"
            for table in tables
        )
        with db.engine.connect() as connection:
            return dict(connection.execute(text(query)).all())
    query = " UNION ALL ".join(
        f"SELECT '{table.name}', "  # noqa: S608
        + " || ',' || ".join(f"quote({quote(column.name)})" for column in table.c)
        + f" FROM {quote(table.name)}"
        for table in tables
    )
    rows: dict[str, list[str]] = {table.name: [] for table in tables}
    with db.engine.connect() as connection:
        for name, row in connection.execute(text(query)):
            rows[name].append(row)
    return {name: sorted(values) for name, values in rows.items()}


def restore(rows: dict[str, list[dict]], changed: Collection[str]) -> None:
    """Put the `changed` tables back to a dump's rows. Foreign keys are off on the
    way, as pg_restore --disable-triggers has them, so emptying a table cascades
    to no other: once every changed table is back, the rows are the dump's."""
    tables = [table for table in db.metadata.sorted_tables if table.name in changed]
    with db.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        # SQLite takes this only outside a transaction: before the first write.
        connection.exec_driver_sql(
            "PRAGMA foreign_keys = OFF"
            if sqlite
            else "SET LOCAL session_replication_role = replica"
        )
        try:
            for table in reversed(tables):
                connection.execute(table.delete())
            for table in tables:
                if rows[table.name]:
                    connection.execute(table.insert(), rows[table.name])
            # SQLite's coverage triggers (PostgreSQL's are off in a replica
            # session) logged that deleting and inserting: their log goes back
            # to the dump's rows too.
            for table in (CoverageChange.__table__, CoverageMonth.__table__):
                connection.execute(table.delete())
                if rows[table.name]:
                    connection.execute(table.insert(), rows[table.name])
            connection.commit()
        finally:
            if sqlite:
                # Back on even after a failure: the pooled connection outlives this.
                connection.rollback()
                connection.exec_driver_sql("PRAGMA foreign_keys = ON")


# Each world's rows, its people's ids and its ids, by the function that built it.
BUILT: dict[Callable, tuple] = {}


def built_once(build: Callable[..., tuple[dict, dict]], *args) -> tuple[dict, dict]:
    """`build(*args)`'s people and ids, in place of all the database holds: built
    once a run, then put back from its rows; its people read in this session."""
    if build in BUILT:
        rows, people, ids = BUILT[build]
        db.session.commit()
        restore(rows, rows.keys())
        db.session.expire_all()
    else:
        people, ids = build(*args)
        people = {name: person and person.id for name, person in people.items()}
        BUILT[build] = (dump(), people, ids)
    return {
        name: id_ and db.session.get(User, id_) for name, id_ in people.items()
    }, dict(ids)
