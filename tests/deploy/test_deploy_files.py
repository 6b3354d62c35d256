"""The files in deploy/ work: the systemd units parse and start real commands, the
example environment names only real settings and holds no secret, docs/deploy.md
documents every setting config.py reads, and the backup restores."""

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
INSTALLED = "/srv/trainers/app"  # where the units expect the code
UNITS = sorted(DEPLOY.glob("*.service")) + sorted(DEPLOY.glob("*.timer"))
# Read by libpq from the environment, not by config.py.
LIBPQ = {"PGPASSFILE"}


def run(command: list[str], **options) -> subprocess.CompletedProcess:
    """Run one of our fixed commands; its output as text."""
    return subprocess.run(  # noqa: S603 - fixed commands, our own files
        command, capture_output=True, text=True, timeout=120, **options
    )


def sqlite_env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}


def unit(path: Path) -> dict[str, dict[str, str]]:
    """A systemd unit's sections and keys (continuation lines joined)."""
    sections: dict[str, dict[str, str]] = {}
    current = None
    joined = path.read_text().replace("\\\n", " ")
    for line in joined.splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        current[key.strip()] = value.strip()
    return sections


def exec_start(path: Path) -> list[str]:
    """The unit's command, as it would run from this checkout."""
    return shlex.split(unit(path)["Service"]["ExecStart"].replace(INSTALLED, str(ROOT)))


def web_unit_command(port: int, workers: int) -> list[str]:
    """The web unit's gunicorn command, with `workers` workers on a port of our own."""
    command = exec_start(DEPLOY / "trainers-web.service")
    command[command.index("--workers") + 1] = str(workers)
    command[command.index("--bind") + 1] = f"127.0.0.1:{port}"
    # Not the control socket in ~/.gunicorn, which another server shares.
    return [sys.executable, "-m", "gunicorn", "--no-control-socket", *command[1:]]


def settings_read_by_config() -> set[str]:
    source = (ROOT / "config.py").read_text()
    return set(re.findall(r'(?:os\.environ\.get|_bool)\(\s*"([A-Z_]+)"', source))


def settings_in_docs() -> set[str]:
    """The first column of docs/deploy.md's settings table."""
    docs = (ROOT / "docs" / "deploy.md").read_text()
    table = docs.split("| setting | meaning | default |", 1)[1].split("\n\n", 1)[0]
    return {
        name
        for row in table.splitlines()
        if row.startswith("| `")
        for name in re.findall(r"`([A-Z_]+)`", row.split("|")[1])
    }


def test_there_are_units_for_web_scheduler_migrations_and_backups():
    names = {path.name for path in UNITS}
    assert {
        "trainers-web.service",
        "trainers-scheduler.service",
        "trainers-migrate.service",
        "trainers-backup.service",
        "trainers-backup.timer",
    } <= names


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="no systemd-analyze")
def test_systemd_accepts_every_unit(tmp_path):
    for path in UNITS:
        (tmp_path / path.name).write_text(
            path.read_text().replace(INSTALLED, str(ROOT))
        )
    result = run(
        [
            shutil.which("systemd-analyze"),
            "verify",
            *sorted(map(str, tmp_path.iterdir())),
        ]
    )
    # Unknown keys are only warned about: any message at all fails the test.
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_every_service_runs_as_the_app_user_with_the_settings_file():
    for path in DEPLOY.glob("*.service"):
        service = unit(path)["Service"]
        assert service["User"] == "trainers", path.name
        assert service["EnvironmentFile"] == "/etc/trainers/trainers.env", path.name
        assert Path(exec_start(path)[0]).is_file(), path.name


def test_the_web_unit_serves_the_wsgi_app_with_gunicorn(tmp_path):
    command = exec_start(DEPLOY / "trainers-web.service")
    assert Path(command[0]).name == "gunicorn" and command[-1] == "wsgi:app"
    # gunicorn parses the options and imports the app, then exits.
    result = run(
        [sys.executable, "-m", "gunicorn", "--check-config", *command[1:]],
        cwd=ROOT,
        env=sqlite_env(tmp_path),
    )
    assert result.returncode == 0, result.stderr


def test_the_web_unit_loads_the_app_before_forking_and_that_shares_nothing(
    database_url,
):
    # With --preload the workers are forked from a process that has loaded the
    # app: a connection or thread it had made would be shared by all of them.
    assert "--preload" in exec_start(DEPLOY / "trainers-web.service")
    script = (
        "import threading\n"
        "from sqlalchemy import event\n"
        "from sqlalchemy.pool import Pool\n"
        "opened = []\n"
        "event.listen(Pool, 'connect', lambda *_: opened.append(1))\n"
        "import wsgi\n"
        "print(len(opened), threading.active_count())\n"
    )
    result = run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
    )
    assert result.stdout.split() == ["0", "1"], result.stderr


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("trainers-scheduler.service", ["--app", "wsgi", "scheduler", "run"]),
        ("trainers-migrate.service", ["--app", "wsgi", "db", "upgrade"]),
    ],
)
def test_the_flask_units_run_real_commands(tmp_path, name, words):
    command = exec_start(DEPLOY / name)
    assert Path(command[0]).name == "flask" and command[1:] == words
    result = run(
        [sys.executable, "-m", "flask", *words, "--help"],
        cwd=ROOT,
        env=sqlite_env(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout


def test_the_backup_timer_starts_the_backup_nightly():
    timer = unit(DEPLOY / "trainers-backup.timer")["Timer"]
    assert timer["OnCalendar"].startswith("*-*-* ")
    assert timer["Persistent"] in ("yes", "true")
    assert exec_start(DEPLOY / "trainers-backup.service") == [str(DEPLOY / "backup.sh")]


def test_the_example_environment_names_real_settings_and_holds_no_secret():
    lines = [
        line
        for line in (DEPLOY / "trainers.env.example").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    values = {}
    for line in lines:
        # systemd reads an EnvironmentFile with shell-like quoting: one word a line.
        (word,) = shlex.split(line)
        name, _, values[name] = word.partition("=")
    assert set(values) - LIBPQ <= settings_read_by_config()
    assert values["APP_ENV"] == "production"
    assert values["SECRET_KEY"] == values["MAIL_PASSWORD"] == ""
    assert (
        "@" in values["DATABASE_URL"]
        and ":" not in values["DATABASE_URL"].split("//")[1].split("@")[0]
    ), "no password in the URL"
    assert values["MAIL_FROM"] == "Trainers' Network <trainers@example.org>"


def test_docs_and_config_name_the_same_settings():
    assert settings_in_docs() - LIBPQ == settings_read_by_config()


@pytest.mark.postgres_only
@pytest.mark.skipif(not shutil.which("pg_dump"), reason="no PostgreSQL client")
def test_a_backup_restores_in_the_restore_check(empty_database_url, tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": empty_database_url,
        "BACKUP_DIR": str(tmp_path),
    }
    upgrade = run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=env,
    )
    assert upgrade.returncode == 0, upgrade.stderr
    engine = create_engine(empty_database_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (email, name, password_hash, is_office, is_active,"
                " created_at) VALUES ('a@example.org', 'A', '!', false, true, now())"
            )
        )
        head = connection.execute(text("SELECT version_num FROM alembic_version"))
        head = head.scalar_one()
    engine.dispose()

    backup = run([str(DEPLOY / "backup.sh")], env=env)
    assert backup.returncode == 0, backup.stderr
    dump = Path(backup.stdout.strip())
    assert dump.parent == tmp_path and dump.stat().st_size > 0
    assert list(tmp_path.glob("*.part")) == []

    check = run([str(DEPLOY / "restore-check.sh")], env=env)
    assert check.returncode == 0, check.stderr
    lines = check.stdout.splitlines()
    assert f"alembic_version {head}" in lines
    assert "users 1" in lines and "groups 0" in lines
    assert lines[-1].endswith(": ok")
