"""A file's every problem is found, by row and column, before anything is saved."""

import pytest

from tests.security.crawl import fingerprint
from trainers.errors import DomainError
from trainers.imports.services import (
    GROUPS,
    MAX_BYTES,
    MAX_ROWS,
    PEOPLE,
    decode,
    preview,
)
from trainers.timeutil import utcnow

PEOPLE_HEADER = "name,email,roles,groups,topics,home_postcode,travel_radius_km\n"


@pytest.fixture
def network(make_group, make_topic, make_user, office):
    """Hastings Action, a first aid topic, and Olive who has an account."""
    make_group("Hastings Action", "TN34")
    make_topic("First aid")
    make_user("olive@example.org", "Olive Organiser")


def problems(kind: str, text: str) -> dict[tuple[int, str], str]:
    return {
        (problem.row, problem.column): problem.message
        for problem in preview(kind, text, utcnow()).problems
    }


def test_each_problem_of_a_people_file_is_named_by_row_and_column(network):
    text = PEOPLE_HEADER + (
        "Ann,not-an-email,trainer,,First aid,,\n"  # 2
        "Bea,bea@example.org,trainer,,Juggling,,\n"  # 3
        "Cal,cal@example.org,organiser,Nowhere Group,,,\n"  # 4
        "Dot,dot@example.org,admin,,,,\n"  # 5
        "Eve,eve@example.org,trainer,,first-aid,BN1,40\n"  # 6
        "Eve again,EVE@example.org,trainer,,,,\n"  # 7
        "Olive,olive@example.org,organiser,Hastings Action,,,\n"  # 8
        ",fay,trainer,,,,\n"  # 9
        "Gus,gus@example.org,trainer,,,ZZ99,\n"  # 10
        "Hal,hal@example.org,trainer,,,,²\n"  # 11
        "Ivy,ivy@example.org,organiser,,,,\n"  # 12
        "Jo,jo@example.org,organiser,,First aid,,\n"  # 13
    )
    found = problems(PEOPLE, text)
    assert set(found) == {
        (2, "email"),
        (3, "topics"),
        (4, "groups"),
        (5, "roles"),
        (7, "email"),
        (8, "email"),
        (9, "name"),
        (9, "email"),
        (10, "home_postcode"),
        (11, "travel_radius_km"),
        (12, "groups"),
        (13, "groups"),
        (13, "topics"),
    }
    assert found[2, "email"] == "Enter a valid email address."
    assert "no topic called “Juggling”" in found[3, "topics"]
    assert "no group called “Nowhere Group”" in found[4, "groups"]
    assert "Unknown role “admin”" in found[5, "roles"]
    assert found[7, "email"] == "The same address is on row 6 too."
    assert "already has an account" in found[8, "email"]
    assert found[9, "name"] == "Enter the name."
    assert "We don't know the postcode district ZZ99" in found[10, "home_postcode"]
    assert "from 0 to 300 km" in found[11, "travel_radius_km"]
    too_far = problems(PEOPLE, PEOPLE_HEADER + "Hal,hal@example.org,trainer,,,,301\n")
    assert "from 0 to 300 km" in too_far[2, "travel_radius_km"]
    assert "Only trainers have this" in found[13, "topics"]


def test_each_problem_of_a_groups_file_is_named_by_row_and_column(network, make_user):
    make_user("gone@example.org", active=False)
    text = (
        "name,postcode,region,organiser_emails\n"
        "Brighton Action,BN1,,\n"  # 2: good
        "Nowhere Action,ZZ99,,\n"  # 3
        "brighton  action,BN2,,\n"  # 4: the same name as row 2
        "Hastings Action,TN34,,\n"  # 5: already in the network
        "Rye Action,,,\n"  # 6
        "Lewes Action,BN7,Atlantis,\n"  # 7
        "Hove Action,BN3,,nobody@example.org; olive@example.org\n"  # 8
        "Seaford Action,BN25,,gone@example.org\n"  # 9
        "Eastbourne Action,hello,,\n"  # 10
    )
    found = problems(GROUPS, text)
    assert set(found) == {
        (3, "postcode"),
        (4, "name"),
        (5, "name"),
        (6, "postcode"),
        (7, "region"),
        (8, "organiser_emails"),
        (9, "organiser_emails"),
        (10, "postcode"),
    }
    assert "We don't know the postcode district ZZ99" in found[3, "postcode"]
    assert found[4, "name"] == "The same group is on row 2 too."
    assert found[5, "name"] == "A group called “Hastings Action” already exists."
    assert found[6, "postcode"] == "Enter the postcode."
    assert found[7, "region"] == "Choose one of the UK's nations and regions."
    assert (
        "No account has the address nobody@example.org" in found[8, "organiser_emails"]
    )
    assert "deactivated account" in found[9, "organiser_emails"]
    assert "is not a UK postcode" in found[10, "postcode"]


def test_a_good_row_says_what_it_will_do(network):
    checked = preview(
        PEOPLE,
        "\ufeff"
        + PEOPLE_HEADER.replace("\n", "\r\n")
        + "Tom Trainer,TOM@example.org ,trainer; organiser,hastings action,"
        "First aid,bn1 1aa,40\r\n",
        utcnow(),
    )
    assert checked.problems == []
    assert [planned.does for planned in checked.planned] == [
        "Invite Tom Trainer <tom@example.org> as organiser and trainer, organising "
        "Hastings Action, teaching First aid"
    ]
    assert checked.rows == "1 person"


def test_the_header_row_is_checked_first(network):
    found = problems(
        PEOPLE, "name,e-mail,roles,shoe size\nAnn,ann@example.org,trainer,9\n"
    )
    assert set(found) == {(1, "email"), (1, "e_mail"), (1, "shoe_size")}
    assert found[1, "email"] == "the header has no 'email' column"
    assert found[1, "shoe_size"] == (
        "unknown column 'shoe_size' (the columns are name, email, roles, groups, "
        "topics, home_postcode, travel_radius_km)"
    )


def test_a_row_longer_than_the_header_and_an_empty_file_are_problems(network):
    found = problems(GROUPS, "name,postcode\nRye Action,TN31,extra\n")
    assert found == {(2, ""): "This row has more cells than the header row."}
    assert problems(GROUPS, "name,postcode\n\n") == {
        (2, ""): "The file has no rows under its header."
    }


def test_files_too_large_too_long_or_not_utf8_are_refused_whole(network):
    with pytest.raises(DomainError, match=f"up to {MAX_ROWS} at a time"):
        preview(GROUPS, "name,postcode\n" + "Rye,TN31\n" * (MAX_ROWS + 1), utcnow())
    with pytest.raises(DomainError, match="larger than 200 KB"):
        preview(GROUPS, "name,postcode\n" + "x" * MAX_BYTES, utcnow())
    with pytest.raises(DomainError, match="The file is empty"):
        preview(GROUPS, "\r\n,,\r\n", utcnow())
    with pytest.raises(DomainError, match="not UTF-8"):
        decode("name,postcode\nCafé,TN34\n".encode("latin-1"))
    assert decode("\ufeffname".encode()) == "name"


def test_checking_saves_nothing(network):
    before = fingerprint()
    preview(
        PEOPLE,
        PEOPLE_HEADER + "Tom,tom@example.org,trainer,,First aid,BN1,\n",
        utcnow(),
    )
    assert fingerprint() == before
