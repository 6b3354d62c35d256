"""Settings read from the environment, with safe development defaults."""

import os
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent
INSTANCE = ROOT / "instance"
DEV_SECRET_KEY = "dev-only-not-secret"  # noqa: S105 - refused in production


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Everything the app reads; `create_app(test_config)` may override any key."""

    APP_ENV = os.environ.get("APP_ENV", "development")
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE / 'trainers.db'}"
    )
    # On PostgreSQL the app factory adds pool_pre_ping (trainers/__init__.py).
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")
    # How many reverse proxies stand in front of gunicorn and set X-Forwarded-For
    # and X-Forwarded-Proto (0: none, trust no such header; 1: nginx or the like).
    PROXY_FIX_HOPS = int(os.environ.get("PROXY_FIX_HOPS", "0"))

    # Mail is queued in the outbox and delivered by the scheduler: "file" writes
    # .eml files under MAIL_FILE_DIR (development); "smtp" sends through the
    # server below.
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "file")
    MAIL_FILE_DIR = os.environ.get("MAIL_FILE_DIR", str(INSTANCE / "mail"))
    MAIL_FROM = os.environ.get("MAIL_FROM", "Trainers' Network <trainers@example.org>")
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "127.0.0.1")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_STARTTLS = _bool("MAIL_USE_STARTTLS")
    MAIL_USE_SSL = _bool("MAIL_USE_SSL")
    MAIL_ENVELOPE_FROM = os.environ.get("MAIL_ENVELOPE_FROM", "trainers@example.org")
    MAIL_TIMEOUT_SECONDS = 20
    MAIL_MAX_ATTEMPTS = 8
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    # What a sent (or failed) email said is emptied this many days after it was
    # queued; who it went to and when stay. Long enough for the office to answer
    # "what did that email say?" about the last few weeks; no one reads it later.
    OUTBOX_BODY_RETENTION_DAYS = int(os.environ.get("OUTBOX_BODY_RETENTION_DAYS", "30"))

    # Where people ask for an account, or to see, correct or erase their data:
    # shown to signed-out visitors and in the privacy notice.
    OFFICE_EMAIL = os.environ.get("OFFICE_EMAIL", "office@example.org")
    INVITATION_DAYS = 7
    PASSWORD_RESET_HOURS = 2
    # How passwords are hashed (werkzeug's method string): scrypt, costly on
    # purpose so a stolen table is slow to guess from. A hash carries its own
    # cost, so raising this later still checks the older hashes.
    PASSWORD_HASH_METHOD = "scrypt:32768:8:1"  # noqa: S105 - a method, not a password
    # "Forgotten password" answers no sooner than this, known address or not,
    # so its delay never tells which addresses have an account.
    PASSWORD_RESET_ANSWER_SECONDS = 0.2
    # A sign-in ends after this long without a page opened (idle) and this long
    # after signing in (lifetime), whatever happens (OWASP ASVS 3.3). The office
    # sees everyone's personal data: shorter, and never "kept". "Keep me signed
    # in" on a trainer's or organiser's own device: a fortnight idle, a month in all.
    SIGN_IN_IDLE_MINUTES = int(os.environ.get("SIGN_IN_IDLE_MINUTES", "120"))
    SIGN_IN_LIFETIME_HOURS = int(os.environ.get("SIGN_IN_LIFETIME_HOURS", "12"))
    OFFICE_SIGN_IN_IDLE_MINUTES = int(
        os.environ.get("OFFICE_SIGN_IN_IDLE_MINUTES", "30")
    )
    OFFICE_SIGN_IN_LIFETIME_HOURS = int(
        os.environ.get("OFFICE_SIGN_IN_LIFETIME_HOURS", "8")
    )
    KEPT_SIGN_IN_IDLE_DAYS = int(os.environ.get("KEPT_SIGN_IN_IDLE_DAYS", "14"))
    KEPT_SIGN_IN_LIFETIME_DAYS = int(os.environ.get("KEPT_SIGN_IN_LIFETIME_DAYS", "30"))
    # How stale a sign-in's "last seen" may grow before a page writes it again:
    # once a minute at most, rather than a write on every page.
    SIGN_IN_SEEN_EVERY_SECONDS = 60
    # Wrong passwords for one address from one client before that pair is
    # locked for the lockout: a stranger elsewhere cannot lock out the owner.
    LOGIN_MAX_FAILURES = 5
    LOGIN_LOCKOUT_MINUTES = 15

    # Rate limits per client address (trainers/limits.py), as "N/period" with
    # several joined by ";". Counted in the database ("database://"), so every
    # worker and host shares them; "memory://" counts per process. A client
    # over a limit gets a 429 page saying when to try again.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "database://")
    # Sign-in attempts: a person mistyping twice a minute is never slowed; a
    # script guessing across many addresses gets 50 tries an hour.
    RATELIMIT_SIGN_IN = os.environ.get("RATELIMIT_SIGN_IN", "10/minute;50/hour")
    # "Forgotten password" forms sent, and reset emails to one address (known or
    # not, so the answer never tells): nobody needs more, and no one can flood
    # an inbox or the outbox.
    RATELIMIT_PASSWORD_RESET = os.environ.get("RATELIMIT_PASSWORD_RESET", "5/hour")
    RATELIMIT_RESET_EMAILS = os.environ.get("RATELIMIT_RESET_EMAILS", "3/hour")
    # The public invitation page (opening a link, choosing a password) and the
    # office's invite form, which sends an email each time: a cohort of 100 an
    # hour is more than the office has ever invited.
    RATELIMIT_ACCEPT_INVITATION = os.environ.get(
        "RATELIMIT_ACCEPT_INVITATION", "20/hour"
    )
    RATELIMIT_INVITE = os.environ.get("RATELIMIT_INVITE", "100/hour")
    # Calendar feed fetches: clients poll every few minutes to hourly; an office
    # behind one address may hold a few dozen feeds.
    RATELIMIT_CALENDAR_FEED = os.environ.get("RATELIMIT_CALENDAR_FEED", "60/minute")
    # JSON API calls, per token (per address for calls without a live one): a
    # sync script pages through a list at ten calls a second.
    RATELIMIT_API = os.environ.get("RATELIMIT_API", "600/minute")
    # The JSON API's OpenAPI document (flask-smorest).
    API_TITLE = "Trainers' Network"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.1.0"
    SHORT_NOTICE_DAYS = 14
    MAX_SLOT_HOURS = 12

    # Matching and booking (see trainers/matching).
    OFFERS_AT_ONCE = 3
    OFFER_EXPIRY_HOURS = 48
    TRAVEL_SPEED_KMH = 30.0
    TRAVEL_MIN_MINUTES = 30
    LOAD_WINDOW_DAYS = 90
    NEWCOMER_SESSIONS = 3
    MATCH_WEIGHTS = {
        "per_km": 0.5,  # points lost for each km between home and venue
        "per_extra_session": 8.0,  # per recent session above the network average
        "never_trained_group": 10.0,  # spreads trainers across groups
        "newcomer": 6.0,  # a new trainer's first sessions are weighted up
    }
    NOTICE_WINDOW_HOURS = 48
    OFFER_NUDGE_HOURS = 24
    REMINDER_HOURS_BEFORE = (48, 2)  # the first and second reminder
    # An online session with no meeting link this close: its organisers are asked.
    MEETING_LINK_NUDGE_HOURS = 48
    FOLLOW_UP_HOURS_AFTER = (2, 72)  # asking for attendance, then again
    ATTENDANCE_UNKNOWN_DAYS = 14
    # A roster uploaded as CSV (name,email,consent): at most this many people and bytes.
    # Any request body above this is refused before it is read (a 413 page).
    MAX_CONTENT_LENGTH = 1024 * 1024
    ROSTER_UPLOAD_MAX_ROWS = 500
    ROSTER_UPLOAD_MAX_BYTES = 200 * 1024
    URGENT_DAYS = 7
    SHADOWED_SESSIONS_TO_QUALIFY = 3
    # Attendees' names and emails are removed this many calendar months after
    # their session ended (they reveal political opinion); checked daily.
    ATTENDEE_RETENTION_MONTHS = int(os.environ.get("ATTENDEE_RETENTION_MONTHS", "12"))
    SCHEDULER_COVERAGE_SECONDS = int(os.environ.get("SCHEDULER_COVERAGE_SECONDS", "60"))
    SCHEDULER_PRIVACY_SECONDS = int(
        os.environ.get("SCHEDULER_PRIVACY_SECONDS", "86400")
    )
    # Cold spots: a recruit's reach (the default travel radius) and when an open
    # request counts as stuck in one state (the office may choose 1-365 days).
    RECRUIT_RADIUS_KM = 25
    STUCK_REQUEST_DAYS = 14

    # The scheduler process (flask --app wsgi scheduler run).
    SCHEDULER_LOCK_FILE = os.environ.get(
        "SCHEDULER_LOCK_FILE", str(INSTANCE / "scheduler.lock")
    )
    SCHEDULER_STANDBY_SECONDS = int(os.environ.get("SCHEDULER_STANDBY_SECONDS", "15"))
    SCHEDULER_HEARTBEAT_SECONDS = int(
        os.environ.get("SCHEDULER_HEARTBEAT_SECONDS", "15")
    )
    SCHEDULER_OUTBOX_SECONDS = int(os.environ.get("SCHEDULER_OUTBOX_SECONDS", "30"))
    SCHEDULER_OFFERS_SECONDS = int(os.environ.get("SCHEDULER_OFFERS_SECONDS", "300"))
    SCHEDULER_SESSIONS_SECONDS = int(
        os.environ.get("SCHEDULER_SESSIONS_SECONDS", "300")
    )
    # How often rate-limit counts whose window has ended, and sign-in failures
    # that no longer count, are deleted (they hold client addresses).
    SCHEDULER_RATE_LIMITS_SECONDS = int(
        os.environ.get("SCHEDULER_RATE_LIMITS_SECONDS", "3600")
    )
    # How often the weekly digest checks whether this week's is due and unsent.
    SCHEDULER_DIGEST_SECONDS = int(os.environ.get("SCHEDULER_DIGEST_SECONDS", "600"))
    SCHEDULER_BOARD_NEWS_SECONDS = int(
        os.environ.get("SCHEDULER_BOARD_NEWS_SECONDS", "900")
    )

    # Webhooks (trainers/webhooks): sent by the scheduler, retried as email is.
    SCHEDULER_WEBHOOKS_SECONDS = int(os.environ.get("SCHEDULER_WEBHOOKS_SECONDS", "30"))
    WEBHOOK_TIMEOUT_SECONDS = 10
    WEBHOOK_MAX_ATTEMPTS = 8
    # Messages given up on in a row before the endpoint is disabled.
    WEBHOOK_FAILURES_TO_DISABLE = 5
    # How long the old secret also signs after the office makes a new one.
    WEBHOOK_PREVIOUS_SECRET_HOURS = 24
    # Lets webhooks go to this machine (and over plain http), for development
    # and tests; never in production, where only public https addresses will do.
    WEBHOOKS_ALLOW_LOOPBACK = _bool(
        "WEBHOOKS_ALLOW_LOOPBACK", os.environ.get("APP_ENV") != "production"
    )

    # Busy times from a trainer's own calendar (trainers/busy): the scheduler
    # looks for feeds due every SCHEDULER_BUSY_FEEDS_SECONDS, and reads each
    # feed every BUSY_FEED_EVERY_MINUTES (calendar apps publish changes every
    # 15 minutes to a few hours), keeping busy times for BUSY_HORIZON_DAYS.
    SCHEDULER_BUSY_FEEDS_SECONDS = int(
        os.environ.get("SCHEDULER_BUSY_FEEDS_SECONDS", "300")
    )
    BUSY_FEED_EVERY_MINUTES = int(os.environ.get("BUSY_FEED_EVERY_MINUTES", "20"))
    BUSY_HORIZON_DAYS = 92
    # A busy calendar of years of meetings is a few hundred kB; more is refused.
    BUSY_FEED_MAX_BYTES = 5 * 1024 * 1024
    BUSY_FEED_TIMEOUT_SECONDS = 15
    BUSY_FEED_MAX_REDIRECTS = 3
    # Busy times expanded from one feed, at most (a runaway repeating event).
    BUSY_FEED_MAX_INTERVALS = 5000
    # A feed not read for this long (or failing before it was ever read) makes
    # the trainer's calendar "unknown": busy times kept from the last good read
    # still count, but nothing newer is known.
    BUSY_STALE_HOURS = int(os.environ.get("BUSY_STALE_HOURS", "6"))
    # An unknown calendar only warns the office beside the candidate (False),
    # or keeps the trainer out of every offer, listing, assignment and plan.
    BUSY_UNKNOWN_BLOCKS = _bool("BUSY_UNKNOWN_BLOCKS")
    # As WEBHOOKS_ALLOW_LOOPBACK, for calendar feeds.
    BUSY_FEEDS_ALLOW_LOOPBACK = _bool(
        "BUSY_FEEDS_ALLOW_LOOPBACK", os.environ.get("APP_ENV") != "production"
    )

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # A kept sign-in's cookie lasts as long as the longest it may live; the
    # record on the server decides when it really ends. Flask-Login's own
    # remember-me cookie is never set (trainers/auth/views.py).
    PERMANENT_SESSION_LIFETIME = timedelta(days=KEPT_SIGN_IN_LIFETIME_DAYS)
    # Set once at sign-in, that expiry already covers a kept sign-in's whole
    # life: no page need send the cookie again just to push it later.
    SESSION_REFRESH_EACH_REQUEST = False
    WTF_CSRF_TIME_LIMIT = None  # a long form must not expire under a volunteer
    CLOCK = None  # utcnow() calls it if set: aware UTC now (tests move it); None: real
