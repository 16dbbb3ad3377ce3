"""The `storybank` command line: users, sites and first-run setup."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from storybank.accounts.models import User
from storybank.extensions import db
from storybank.stories.models import Site


def test_users_create_reads_the_password_from_standard_input(app, runner, app_context):
    result = runner.invoke(
        args=["users", "create", "--email", "Sam@Example.org", "--role", "facilitator"],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created facilitator sam@example.org" in result.output
    user = db.session.scalar(db.select(User).where(User.email == "sam@example.org"))
    assert user.role == "facilitator"
    assert user.password_hash.startswith("$argon2id$")
    assert "a long enough password" not in user.password_hash


def test_users_create_explains_a_short_password(runner, app_context):
    result = runner.invoke(
        args=["users", "create", "--email", "a@example.org", "--role", "reporter"], input="short\n"
    )
    assert result.exit_code != 0
    assert "at least 10 characters" in result.output
    assert db.session.scalar(db.select(User)) is None


def test_users_create_refuses_an_unknown_role(runner, app_context):
    result = runner.invoke(
        args=["users", "create", "--email", "a@example.org", "--role", "boss"], input="x" * 12
    )
    assert result.exit_code != 0
    assert "boss" in result.output


def test_init_creates_the_first_admin_and_a_site_once(runner, app_context):
    first = runner.invoke(args=["init"])
    assert first.exit_code == 0, first.output
    assert "First admin created" in first.output
    assert "admin@storybank.local" in first.output
    admins = db.session.scalars(db.select(User).where(User.role == "admin")).all()
    assert len(admins) == 1
    assert [site.name for site in db.session.scalars(db.select(Site))] == ["Main site"]
    second = runner.invoke(args=["init"])
    assert second.exit_code == 0, second.output
    assert "First admin created" not in second.output
    assert len(db.session.scalars(db.select(User)).all()) == 1


def test_init_prints_a_password_that_logs_in(runner, client, app_context):
    from tests.conftest import login

    output = runner.invoke(args=["init"]).output
    password = next(
        line.split(":", 1)[1].strip() for line in output.splitlines() if "password:" in line
    )
    assert "two-step sign-in" in output
    response = login(client, "admin@storybank.local", password)
    assert response.status_code == 302
    # The password is right; an admin then sets up two-step sign-in before getting in.
    assert response.headers["Location"] == "/login/set-up"


def test_sites_add(runner, app_context):
    result = runner.invoke(args=["sites", "add", "Kendal"])
    assert result.exit_code == 0, result.output
    again = runner.invoke(args=["sites", "add", "Kendal"])
    assert again.exit_code != 0
    assert "already a site" in again.output


def test_init_shows_the_first_admin_in_a_box_and_keeps_it_in_a_private_file(
    runner, app, app_context
):
    kept = Path(app.instance_path) / "first-admin.txt"
    kept.unlink(missing_ok=True)
    output = runner.invoke(args=["init"]).output
    password = next(
        line.split(":", 1)[1].strip() for line in output.splitlines() if "password:" in line
    )
    rules = [line for line in output.splitlines() if line and set(line) == {"="}]
    assert len(rules) == 2 and len(rules[0]) >= len("  password: " + password)
    assert stat.S_IMODE(os.stat(kept).st_mode) == 0o600
    assert password in kept.read_text() and "admin@storybank.local" in kept.read_text()
    kept.unlink()


def test_a_worker_lowers_its_own_cpu_priority_so_pages_come_first():
    script = (
        "import os; from storybank.cli import _lower_priority; "
        "before = os.nice(0); _lower_priority(3); print(os.nice(0) - before)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "3"
