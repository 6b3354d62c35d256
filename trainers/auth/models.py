"""Accounts, invitations, password resets and sign-in throttling."""

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from trainers.extensions import db
from trainers.timeutil import utcnow

ROLES = ("office", "organiser", "trainer")


class User(UserMixin, db.Model):
    """A person with an account; roles come from the office flag, groups and profile."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    # Optional; shown only to the people they have a session with.
    phone: Mapped[str | None] = mapped_column(String(30))
    is_office: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # Set when the office erased this person: name and email are replaced, and
    # the row stays so the sessions they trained still count.
    erased_at: Mapped[datetime | None]

    groups = relationship(
        "Group",
        secondary="group_organisers",
        back_populates="organisers",
        order_by="Group.name",
    )
    trainer_profile = relationship(
        "TrainerProfile", back_populates="user", uselist=False
    )

    # How many groups they organise and whether they have a trainer profile,
    # read with the signed-in account (web.py) so that every page's navigation
    # loads neither relationship. None when not read, and again once the
    # account is expired (after a commit), when the relationships are asked.
    groups_organised: Mapped[int | None] = query_expression()
    has_trainer_profile: Mapped[bool | None] = query_expression()

    @property
    def organised_group_count(self) -> int:
        if self.groups_organised is None or "groups" in self.__dict__:
            return len(self.groups)
        return self.groups_organised

    @property
    def is_organiser(self) -> bool:
        return self.organised_group_count > 0

    @property
    def is_trainer(self) -> bool:
        if self.has_trainer_profile is None or "trainer_profile" in self.__dict__:
            return self.trainer_profile is not None
        return self.has_trainer_profile

    @property
    def roles(self) -> list[str]:
        flags = (self.is_office, self.is_organiser, self.is_trainer)
        return [role for role, held in zip(ROLES, flags, strict=True) if held]

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class Invitation(db.Model):
    """A single-use, expiring link that lets someone create their account."""

    __tablename__ = "invitations"
    __table_args__ = (
        CheckConstraint("role IN ('office', 'organiser', 'trainer')", name="role"),
        CheckConstraint("role != 'organiser' OR group_id IS NOT NULL", name="group"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id"))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    # What a bulk import asked for beyond `role` and `group`, set up when the
    # account is made: {"group_ids": [...], "trainer": {"topic_ids": [...],
    # "home_district": ..., "travel_radius_km": ...} or null}; None is SQL NULL.
    prepared: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))

    group = relationship("Group")
    invited_by = relationship("User")

    def is_usable(self, now: datetime) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and now < self.expires_at
        )


class PasswordReset(db.Model):
    """A single-use, expiring token emailed to reset a forgotten password."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user = relationship("User")


class LoginThrottle(db.Model):
    """Failed sign-ins per email address, known or not, so probing learns nothing,
    and per client address, so a stranger's failures never lock out the owner."""

    __tablename__ = "login_throttles"

    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    # As the app sees it (an IPv6 address is at most 45 characters).
    client: Mapped[str] = mapped_column(String(45), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    first_failed_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]


class SignIn(db.Model):
    """One signed-in browser. Its cookie carries a random token, stored here only
    as a hash: deleting the row signs that browser out, wherever the cookie is."""

    __tablename__ = "sign_ins"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    # Written at most about once a minute, not on every page.
    last_seen_at: Mapped[datetime]
    # "Keep me signed in": longer limits, and a cookie that outlives the browser.
    kept: Mapped[bool] = mapped_column(default=False)
    # Such as "Firefox on Windows", for the person's list of their sign-ins.
    device: Mapped[str] = mapped_column(String(60), default="")


API_SCOPES = ("read", "write")


class ApiToken(db.Model):
    """A personal access token for the JSON API, stored only as a hash; it acts
    as its account, within its scope, until it expires or is revoked."""

    __tablename__ = "api_tokens"
    __table_args__ = (CheckConstraint("scope IN ('read', 'write')", name="scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(80))
    # "write" includes "read".
    scope: Mapped[str] = mapped_column(String(5))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    # Written at most about once a minute, not on every call.
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user = relationship("User", foreign_keys=[user_id])

    def allows(self, scope: str) -> bool:
        """Whether this token may make calls needing `scope` (write implies read)."""
        return scope == "read" or self.scope == "write"

    def is_live(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at
