"""The request form's height on a phone, in real Chromium: prints `name: value` lines.

    .venv/bin/python bench/request_form_height.py

Serves the app on loopback (a temporary SQLite file, CSRF on), signs in as the
organiser of one group, opens "Ask for a training session" 375x667 px wide and
reports the page's full height and where the venue's postcode and the send
button end, in CSS pixels from the top of the page (667 is one screen).
"""

import sys
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.security import generate_password_hash
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from trainers import create_app  # noqa: E402
from trainers.auth.models import User  # noqa: E402
from trainers.extensions import db  # noqa: E402
from trainers.geo import locate  # noqa: E402
from trainers.network.models import Group, Topic  # noqa: E402

PHONE = {"width": 375, "height": 667}
CHROMIUM = "/usr/bin/chromium-headless-shell"
EMAIL, PASSWORD = "organiser@example.org", "a long enough password"

# An element's bottom edge, in page pixels.
BOTTOM = "e => Math.round(e.getBoundingClientRect().bottom + scrollY)"


def build(folder: Path):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'form.db'}",
            "MAIL_FILE_DIR": str(folder / "mail"),
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        db.create_all()
        place = locate("TN34")
        group = Group(
            name="Hastings Tenants Union",
            region=place.region,
            postcode_district=place.district,
            latitude=place.latitude,
            longitude=place.longitude,
        )
        db.session.add_all(
            [
                group,
                Topic(name="Door-knocking and canvassing", summary="Knock."),
                Topic(name="Online organising", is_online_capable=True),
            ]
        )
        organiser = User(
            email=EMAIL,
            name="Olive Organiser",
            password_hash=generate_password_hash(PASSWORD),
        )
        organiser.groups.append(group)
        db.session.add(organiser)
        db.session.commit()
    return app


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = build(Path(folder))
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_port}"
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=["--no-sandbox"], headless=True
                )
                page = browser.new_context(viewport=PHONE).new_page()
                page.goto(f"{url}/login")
                page.get_by_label("Email").fill(EMAIL)
                page.get_by_label("Password").fill(PASSWORD)
                page.get_by_role("button", name="Sign in").click()
                page.wait_for_load_state()
                page.goto(f"{url}/requests/new")
                page.get_by_role(
                    "heading", name="Ask for a training session"
                ).wait_for()
                height = page.evaluate("document.documentElement.scrollHeight")
                print(f"page_height_px: {height}")
                postcode = page.get_by_label("Venue postcode").evaluate(BOTTOM)
                send = page.get_by_role("button", name="Send request").evaluate(BOTTOM)
                print(f"venue_postcode_bottom_px: {postcode}")
                print(f"send_button_bottom_px: {send}")
                page.screenshot(path=f"{folder}/form.png", full_page=True)
                Path("test-artifacts").mkdir(exist_ok=True)
                Path("test-artifacts/request-form-375px.png").write_bytes(
                    Path(f"{folder}/form.png").read_bytes()
                )
                browser.close()
        finally:
            server.shutdown()


if __name__ == "__main__":
    main()
