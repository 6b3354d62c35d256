"""Where a person's name, address or phone can land in what people and the app
write: every text column of every table is listed here once, either as free
text to search and scrub or with the reason it holds none.

Tables are named as strings (and read from the metadata when used), so this
list can name every feature's tables without importing them; the privacy tests
check it names every text column there is, so a new one cannot be forgotten.
"""

from dataclasses import dataclass

from sqlalchemy import Column, Table

from trainers.extensions import db


@dataclass(frozen=True)
class FreeText:
    """A table's free-text columns, each with the column holding its writer's
    account (None: not one person's writing)."""

    table: str
    columns: dict[str, str | None]
    # What one row is, in the office's words ("Request 12").
    row: str
    # Shown in a person's export as what others wrote about them: not the
    # audit log (its own section) or emails (the app's words about others).
    exported: bool = True

    def sql_table(self) -> Table:
        """The table itself, from the metadata."""
        return db.metadata.tables[self.table]

    def sql_columns(self) -> list[Column]:
        """The free-text columns, from the metadata."""
        table = self.sql_table()
        return [table.c[name] for name in self.columns]


# What the organiser and trainer wrote about one session, keyed by it.
SESSION_REPORTS = FreeText(
    "attendances",
    {
        "rating_comment": "rated_by_id",
        "went_well": "reported_by_id",
        "follow_up_requested": "reported_by_id",
    },
    "Report on session",
)

FREE_TEXT = (
    FreeText(
        "training_requests",
        {
            "notes": "created_by_id",
            "accessibility_needs": "created_by_id",
            "venue_address": "created_by_id",
            "meeting_url": None,
            "cancel_reason": None,
        },
        "Request",
    ),
    FreeText("request_events", {"detail": "actor_id"}, "Request history line"),
    FreeText(
        "training_sessions",
        {"venue_address": None, "meeting_url": None, "cancel_reason": None},
        "Session",
    ),
    FreeText("offers", {"response_note": "trainer_id"}, "Offer"),
    SESSION_REPORTS,
    FreeText("days_off", {"note": "trainer_id"}, "Day off"),
    # The invitee's own name: shown with the invitations to their address.
    FreeText("invitations", {"name": None}, "Invitation", exported=False),
    FreeText("audit_entries", {"detail": None}, "Audit entry", exported=False),
    FreeText(
        "outbox_messages",
        {"subject": None, "body": None, "last_error": None},
        "Email",
        exported=False,
    ),
    FreeText("scheduler_jobs", {"last_outcome": None}, "Scheduled job", exported=False),
)

# Invites' iCalendar bytes: folded lines, searched and rewritten unfolded.
CALENDARS = {"outbox_messages": ("calendar",)}

# Rows that are one named person: anonymised whole (these columns emptied and
# anonymised_at set) when the name or address is theirs; the row still counts.
NAMED_ROWS = {"attendees": ("name", "email")}

# Text columns that hold no one's free text ("table.column"), by why.
NOT_FREE_TEXT = {
    "the account's own identity, erased with the account": (
        "users.email",
        "users.name",
        "users.password_hash",
        "users.phone",
    ),
    "keyed by an address, deleted or emptied whole when it is erased": (
        "login_throttles.email",
        "invitations.email",
        # Ids, and the invitee's home postcode district and travel radius.
        "invitations.prepared",
        "outbox_messages.to_address",
    ),
    "client internet addresses, deleted hourly once their lock or window ends": (
        "login_throttles.client",
        "rate_limit_counters.key",
    ),
    "hashes, codes, states and identifiers the app makes": (
        "calendar_feeds.token_hash",
        "password_resets.token_hash",
        "sign_ins.token_hash",
        "sign_ins.device",
        "invitations.role",
        "invitations.token_hash",
        "outbox_messages.kind",
        "outbox_messages.calendar_method",
        "outbox_messages.message_id",
        "outbox_messages.status",
        "outbox_messages.claim_token",
        "outbox_messages.secret_link",
        "training_requests.status",
        "training_requests.submission_key",
        "training_sessions.status",
        "training_sessions.ical_uid",
        "training_sessions.booked_via",
        "request_events.action",
        "audit_entries.action",
        "offers.status",
        "offers.reasons",
        "trainer_topics.level",
        "scheduler_jobs.job_id",
        "scheduler_leader.process",
    ),
    "API tokens, deleted with their account's erasure; the answers kept by a "
    "token's Idempotency-Key are deleted with it, and unused after a day": (
        "api_tokens.name",
        "api_tokens.scope",
        "api_tokens.token_hash",
        "api_idempotent_calls.key",
        "api_idempotent_calls.fingerprint",
        "api_idempotent_calls.body",
    ),
    "webhooks: other systems' addresses and secrets, and messages of ids only": (
        "webhook_endpoints.url",
        "webhook_endpoints.events",
        "webhook_endpoints.secret",
        "webhook_endpoints.previous_secret",
        "webhook_endpoints.disabled_reason",
        "webhook_deliveries.event_type",
        "webhook_deliveries.message_id",
        "webhook_deliveries.payload",
        "webhook_deliveries.status",
        "webhook_deliveries.claim_token",
        "webhook_deliveries.last_error",
    ),
    "a trainer's own calendar: its secret address, validators and why it failed, "
    "deleted with the account's erasure (only busy times are read from it)": (
        "busy_feeds.url",
        "busy_feeds.etag",
        "busy_feeds.last_modified",
        "busy_feeds.last_error",
    ),
    "places and the network's own names, not people": (
        "groups.name",
        "groups.region",
        "groups.postcode_district",
        "topics.name",
        "topics.summary",
        "trainer_profiles.home_district",
        "trainer_profiles.region",
        "training_requests.venue_postcode",
        "training_requests.venue_district",
        "training_sessions.venue_postcode",
        "coverage_changes.region",
        "coverage_months.region",
    ),
}
