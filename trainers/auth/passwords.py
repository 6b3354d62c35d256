"""Which new passwords are refused: too short, among the most common (a list
shipped in trainers/auth/data, see its README), made of the person's own name
or email address, or one character repeated or a simple run (ASVS 2.1.7).
Nothing else is demanded: no mix of symbols, which only makes passwords
harder to remember."""

import gzip
import re
from functools import cache
from pathlib import Path

from trainers.errors import DomainError

MIN_PASSWORD_LENGTH = 10
COMMON_PASSWORDS = Path(__file__).parent / "data" / "common-passwords.txt.gz"
# The shortest unit whose repetition makes a password refused ("abab...").
LONGEST_REPEATED_UNIT = 3


@cache
def common_passwords() -> frozenset[str]:
    """The list, lowercased; read once per process, the first time it is asked."""
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as lines:
        return frozenset(word for line in lines if (word := line.strip().lower()))


def check_password(password: str, name: str = "", email: str = "") -> None:
    """Raise DomainError (on the password field) for a password we refuse."""
    if len(password) < MIN_PASSWORD_LENGTH:
        _refuse(f"Use at least {MIN_PASSWORD_LENGTH} characters for your password.")
    if password.strip().lower() in common_passwords():
        _refuse(
            "That is one of the most common passwords, which are tried first. "
            "Choose another: three or four unrelated words make a strong one."
        )
    if _is_own_name_or_address(password, name, email):
        _refuse(
            "Do not use your own name or email address as your password: they "
            "are tried first. Choose something else."
        )
    if _is_repeat_or_run(password.lower()):
        _refuse(
            "That password is one character repeated or a simple run (such as "
            "abcdefghij or 1234567890). Choose another: three or four unrelated "
            "words make a strong one."
        )


def _refuse(message: str) -> None:
    raise DomainError(message, field="password")


def _letters(text: str) -> str:
    return re.sub(r"[\W\d_]", "", text.lower())


def _is_own_name_or_address(password: str, name: str, email: str) -> bool:
    # "Ann Smith 1990" and "ann.smith@example.org!" are both made of the person's
    # own words: compare the letters alone, and the address without punctuation.
    local_part = email.split("@")[0]
    parts = {_letters(part) for part in (name, *name.split(), email, local_part)}
    own = {part for part in parts if len(part) > 1}  # not a lone initial
    squashed = re.sub(r"[\W_]", "", password.lower())
    return _letters(password) in own or squashed == re.sub(r"[\W_]", "", email.lower())


def _is_repeat_or_run(password: str) -> bool:
    for size in range(1, LONGEST_REPEATED_UNIT + 1):
        unit = password[:size]
        if (unit * len(password))[: len(password)] == password:
            return True
    steps = {_step(a, b) for a, b in zip(password, password[1:], strict=False)}
    return steps in ({1}, {-1})


def _step(a: str, b: str) -> int:
    # Digits wrap round as on a keyboard's top row: "1234567890".
    if a.isdigit() and b.isdigit():
        return (int(b) - int(a) + 5) % 10 - 5
    return ord(b) - ord(a)
