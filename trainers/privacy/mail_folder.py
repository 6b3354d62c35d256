"""The development mail folder: the file mail backend writes every message sent
as an .eml file there, so erasing a person deletes the files that mention them."""

import email
from email import policy
from pathlib import Path

from flask import current_app

from trainers.privacy.mentions import Mentions
from trainers.privacy.scrub import readable_calendar

HEADERS = ("To", "From", "Cc", "Reply-To", "Subject")
# A message renamed into place, or one a crash left half written.
PATTERNS = ("*.eml", "*.partial")


def scrub_mail_folder(mentions: Mentions) -> int:
    """Delete the folder's messages that mention them, when mail goes to files;
    the number deleted."""
    folder = Path(current_app.config["MAIL_FILE_DIR"])
    if current_app.config["MAIL_BACKEND"] != "file" or not mentions:
        return 0
    deleted = 0
    for pattern in PATTERNS:
        for path in folder.glob(pattern):
            if mentions.found_in(_readable(path.read_bytes())):
                path.unlink(missing_ok=True)
                deleted += 1
    return deleted


def _readable(raw: bytes) -> str:
    """A message as its reader sees it: headers decoded, every part decoded and
    an invite unfolded (the raw file may be base64 or quoted-printable)."""
    message = email.message_from_bytes(raw, policy=policy.default)
    texts = [str(message[header]) for header in HEADERS if message[header]]
    for part in message.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True) or b""
        charset = part.get_content_charset() or "utf-8"
        texts.append(readable_calendar(payload.decode(charset, "replace")))
    return "\n".join(texts)
