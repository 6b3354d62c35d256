"""The roster file parser: what it accepts (BOM, any header case and order, blank
lines, quoted commas) and every kind of bad row, each reported by its spreadsheet
row number, all at once."""

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trainers.attendance.roster_csv import (
    NOT_CONSENTED,
    RosterFileError,
    RosterRow,
    clean_person,
    parse_roster,
    person_key,
)

LIMITS = {"max_rows": 20, "max_bytes": 4096}


def parse(text: str | bytes, **options) -> list[RosterRow]:
    data = text.encode() if isinstance(text, str) else text
    return parse_roster(data, **(LIMITS | options))


def problems(text: str | bytes, **options) -> list[str]:
    with pytest.raises(RosterFileError) as refused:
        parse(text, **options)
    assert refused.value.field == "roster_file"
    assert refused.value.message.startswith("Nothing was saved")
    return refused.value.errors


def test_a_good_file_with_a_bom_any_header_case_and_order_and_blank_lines():
    data = (
        "\ufeffConsent , EMAIL,Name\r\n"
        "yes,ada@example.org,Ada Lovelace\r\n"
        "\r\n"
        ",,\r\n"
        'Y,,"Hopper, Grace"\r\n'
        "True, Bo@Example.ORG ,  Bo   Example \r\n"
    ).encode()
    assert parse(data) == [
        RosterRow("Ada Lovelace", "ada@example.org"),
        RosterRow("Hopper, Grace", None),
        RosterRow("Bo Example", "Bo@example.org"),
    ]


def test_without_a_bom_and_with_unix_line_endings():
    assert parse("name,email,consent\nÉilís Ní Bhriain,,yes\n") == [
        RosterRow("Éilís Ní Bhriain", None)
    ]


def test_every_bad_row_is_reported_by_its_spreadsheet_row_number():
    long_name = "N" * 121
    long_email = "a" * 64 + "@" + ("b" * 60 + ".") * 4 + "org"
    text = (
        "name,email,consent\n"  # row 1
        "Ada,ada@example.org,yes\n"  # row 2: fine
        ",x@example.org,yes\n"  # row 3: no name
        "Bob,bob@,yes\n"  # row 4: bad email
        "Cy,,\n"  # row 5: no consent
        "Di,,no\n"  # row 6: consent not yes
        "\n"  # row 7: blank, skipped
        "Ed,ADA@example.org,yes\n"  # row 8: same email as row 2
        f"{long_name},,yes\n"  # row 9
        f"Fi,{long_email},yes\n"  # row 10
        "Gu,,yes,extra\n"  # row 11: too many values
        ",bad,\n"  # row 12: three problems at once
        '"Multi\nline",,yes\n'  # row 13: quoted newline is one row
        "Ha,,yes\n"  # row 14
        "ha,,yes\n"  # row 15: same name, neither with an email
    )
    assert problems(text) == [
        "Row 3: no name given",
        "Row 4: 'bob@' is not an email address",
        f"Row 5: {NOT_CONSENTED}",
        f"Row 6: {NOT_CONSENTED}",
        "Row 8: ADA@example.org is already on row 2",
        "Row 9: the name is longer than 120 characters",
        "Row 10: the email address is longer than 254 characters",
        "Row 11: 4 values but the header has 3 columns (a name with a comma in it "
        "needs double quotes around it)",
        f"Row 12: no name given; 'bad' is not an email address; {NOT_CONSENTED}",
        "Row 15: ha is already on row 14",
    ]


def test_the_consent_message_says_to_use_the_headcount():
    (problem,) = problems("name,email,consent\nA,,\nB,,yes\n")
    assert problem == (
        "Row 2: consent is not 'yes': count this person in the headcount instead"
    )


def test_people_already_on_the_roster_are_refused():
    on_roster = frozenset(
        {person_key("Old", "ada@example.org"), person_key("Bo Example", None)}
    )
    assert problems(
        "name,email,consent\nAda,Ada@Example.org,yes\nbo example,,yes\nBo Example,"
        "bo@example.org,yes\n",
        on_roster=on_roster,
    ) == [
        "Row 2: Ada@example.org is already on the roster",
        "Row 3: bo example is already on the roster (give an email address to tell "
        "two people of the same name apart)",
    ]


def test_control_characters_in_a_name_are_refused():
    assert problems("name,email,consent\nA\x00da,,yes\n") == [
        "Row 2: the name has characters that cannot be stored"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ["The file is empty."]),
        ("\r\n\r\n", ["The file is empty."]),
        ("name,email,consent\r\n", ["The file has a header row but nobody in it."]),
        (
            "Ada,ada@example.org,yes\n",
            ["Row 1 must be the header row, naming the columns: name, email, consent."],
        ),
        (
            "name;email;consent\nAda;;yes\n",
            [
                "Row 1: separate the columns with commas (name, email, consent), not "
                "semicolons."
            ],
        ),
        (
            "name,e-mail,consent,phone\nAda,,yes,0\n",
            [
                "Row 1: the header has no 'email' column",
                "Row 1: unknown column 'e-mail' (the columns are name, email, consent)",
                "Row 1: unknown column 'phone' (the columns are name, email, consent)",
            ],
        ),
        (
            "name,email,consent,Name\nA,,yes,B\n",
            ["Row 1: the column 'name' appears twice"],
        ),
    ],
)
def test_a_file_with_no_usable_header_or_nobody_in_it(text, expected):
    assert problems(text) == expected


def test_a_file_that_is_not_utf8_is_refused_with_the_fix():
    (problem,) = problems("name,email,consent\nZoë,,yes\n".encode("cp1252"))
    assert "not UTF-8" in problem and "CSV UTF-8" in problem


def test_size_and_row_limits():
    header = "name,email,consent\n"
    assert problems(header + "A,,yes\n" * 3, max_rows=2) == [
        "The file has 3 people; upload at most 2 at a time."
    ]
    assert len(parse(header + "".join(f"P{n},,yes\n" for n in range(2)), max_rows=2))
    (too_big,) = problems(header + "A,,yes\n" * 400, max_bytes=2048)
    assert too_big == "The file is larger than 2 KB; split it in two."


def test_one_person_is_checked_the_same_way_as_a_row():
    assert clean_person("  Ada   Lovelace ", " ada@EXAMPLE.org ") == RosterRow(
        "Ada Lovelace", "ada@example.org"
    )
    assert clean_person("Ada", "") == RosterRow("Ada", None)


names = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters=" \u0085"
    ),
    min_size=1,
    max_size=30,
).filter(lambda name: name.split() == [name])


@settings(max_examples=40, deadline=None)
@given(people=st.lists(names, min_size=1, max_size=10, unique_by=str.casefold))
def test_any_names_written_by_a_spreadsheet_come_back_as_written(people):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["name", "email", "consent"])
    writer.writerows([name, "", "yes"] for name in people)
    data = ("\ufeff" + buffer.getvalue()).encode()
    assert [row.name for row in parse(data)] == people
