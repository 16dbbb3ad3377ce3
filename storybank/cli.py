"""The commands of `storybank`: serve, worker, init, users and sites (db is Flask-Migrate)."""

from __future__ import annotations

import contextlib
import getpass
import logging
import os
import secrets
import signal
import sys
from pathlib import Path

import click
from flask import Flask
from flask import current_app
from flask.cli import AppGroup
from flask.cli import FlaskGroup
from flask.cli import with_appcontext

from storybank.core.errors import InvalidInput


def _create_app() -> Flask:
    from storybank import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """Storybank: community reporters' stories, transcribed, anonymised and themed."""


commands = AppGroup("storybank")


def init_app(app: Flask) -> None:
    """Add Storybank's commands to the app's command line."""
    for command in commands.commands.values():
        app.cli.add_command(command)


def _read_password(confirm: bool = True) -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    password = getpass.getpass("Password: ")
    if confirm and getpass.getpass("Again: ") != password:
        raise click.ClickException("The two passwords differ.")
    return password


@commands.group()
def users() -> None:
    """Manage accounts."""


@users.command("create")
@click.option("--email", required=True)
@click.option(
    "--role", required=True, type=click.Choice(["reporter", "facilitator", "researcher", "admin"])
)
@click.option("--name", "display_name", default="")
@with_appcontext
def users_create(email: str, role: str, display_name: str) -> None:
    """Create a user; the password is read from standard input."""
    from storybank.accounts.services import create_user

    try:
        user = create_user(
            None, email=email, role=role, password=_read_password(), display_name=display_name
        )
    except InvalidInput as error:
        raise click.ClickException(error.message) from error
    click.echo(f"Created {user.role} {user.email}.")


@users.command("reset-two-step")
@click.option("--email", required=True)
@with_appcontext
def users_reset_two_step(email: str) -> None:
    """Clear an account's authenticator app, for someone (the only admin, say) who lost it."""
    from sqlalchemy import select

    from storybank.accounts.models import User
    from storybank.accounts.services import normalise_email
    from storybank.accounts.twofactor import reset_two_factor
    from storybank.extensions import db

    try:
        user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    except InvalidInput as error:
        raise click.ClickException(error.message) from error
    if user is None:
        raise click.ClickException(f"There is no account with the email {email}.")
    reset_two_factor(None, user.id)
    click.echo(f"Two-step sign-in reset for {user.email}: they set it up at their next sign-in.")


@commands.group()
def sites() -> None:
    """Manage sites."""


@sites.command("add")
@click.argument("name")
@with_appcontext
def sites_add(name: str) -> None:
    """Add a site where stories are gathered."""
    from storybank.stories.services import create_site

    try:
        site = create_site(None, name)
    except InvalidInput as error:
        raise click.ClickException(error.message) from error
    click.echo(f"Added site {site.name}.")


@commands.group("search")
def search_group() -> None:
    """Look after the research search index."""


@search_group.command("reindex")
@with_appcontext
def search_reindex() -> None:
    """Rebuild the search index from the approved stories (after a restore, say)."""
    from storybank.search.indexing import rebuild_index

    count, seconds = rebuild_index()
    noun = "story" if count == 1 else "stories"
    click.echo(f"Indexed {count} {noun} that may be searched, in {seconds:.1f} s.")


@click.command("train")
@with_appcontext
def tag_train_command() -> None:
    """Retrain the theme tagger from reviewers' confirmed and rejected themes."""
    from storybank.tag.services import train_tagger

    count, path = train_tagger(None)
    click.echo(f"Trained on {count} decision(s); the tag stage now uses {path}.")


@commands.command("init")
@click.option("--admin-email", default="admin@storybank.local", show_default=True)
@click.option("--site", "site_name", default="Main site", show_default=True)
def init_command(admin_email: str, site_name: str) -> None:
    """Set up a new install: migrate, and create the first admin and a site if there are none."""
    from storybank.accounts.services import count_users
    from storybank.accounts.services import create_user
    from storybank.dbtools import ensure_schema_for_serving
    from storybank.dbtools import is_sqlite
    from storybank.dbtools import upgrade_database
    from storybank.stories.services import create_site
    from storybank.stories.services import list_sites

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if is_sqlite(app):
        click.echo(ensure_schema_for_serving(app))
    else:
        upgrade_database(app)
    if not list_sites(include_retired=True):
        create_site(None, site_name)
        click.echo(f"Added the site '{site_name}'. Admins can add more under Admin → Sites.")
    if count_users() == 0:
        password = secrets.token_urlsafe(12)
        create_user(None, email=admin_email, role="admin", password=password, display_name="Admin")
        _announce_first_admin(app, admin_email, password)


FIRST_ADMIN_FILE = "first-admin.txt"


def _announce_first_admin(app: Flask, email: str, password: str) -> None:
    """Show the first admin's sign-in in a box that stands out from log lines, and keep it in
    a private file in the instance folder until someone deletes it, so it cannot scroll away."""
    kept = Path(app.instance_path) / FIRST_ADMIN_FILE
    lines = [
        "First admin created. Log in with:",
        f"  email:    {email}",
        f"  password: {password}",
        "Change the password under Admin → Users once you are in.",
        "Have an authenticator app on your phone: you set up two-step sign-in first.",
        f"(Also kept in {kept}: delete that file once you have signed in.)",
    ]
    kept.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(kept, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines[:5]) + "\n")
    rule = "=" * max(len(line) for line in lines)
    click.echo("\n".join(["", rule, *lines, rule, ""]))


def _remind_first_admin(app: Flask) -> None:
    """While the first admin's sign-in file is there, say so at every start."""
    kept = Path(app.instance_path) / FIRST_ADMIN_FILE
    if kept.exists():
        click.echo(f"The first admin's sign-in is in {kept}. Delete it once you have signed in.")


def _start_housekeeping(app: Flask) -> None:
    """Make new files private to this user, and sweep storage debris left by a crash."""
    from storybank.pipeline.services import sweep_storage

    # Everything a Storybank process creates (database, queue, media, exports) is 0600.
    os.umask(0o077)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    with app.app_context():
        swept = sweep_storage()
    if swept.partial_uploads or swept.empty_folders:
        click.echo(
            f"Removed {swept.partial_uploads} half-written upload(s) and "
            f"{swept.empty_folders} empty folder(s) left from before."
        )


@commands.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.option("--no-worker", is_flag=True, help="Do not start a job worker beside the server.")
@with_appcontext
def serve(host: str, port: int, threads: int, no_worker: bool) -> None:
    """Start the web app and, in its own process, a job worker. SQLite migrates itself."""
    import waitress

    from storybank.dbtools import ensure_schema_for_serving
    from storybank.pipeline.supervisor import WorkerSupervisor

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    _start_housekeeping(app)
    click.echo(ensure_schema_for_serving(app))
    _remind_first_admin(app)
    supervisor = None
    if not no_worker:
        command = [sys.executable, "-m", "storybank.cli", "worker", f"--parent-pid={os.getpid()}"]
        supervisor = WorkerSupervisor(command, env=os.environ.copy())
        pid = supervisor.start()
        click.echo(f"Started a job worker (process {pid}); it is restarted if it dies.")
    click.echo(f"Storybank is at http://{host}:{port}/  (Ctrl+C stops it)")
    # A service manager stops us with SIGTERM: leave through `finally` so the worker stops too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    # Started in the background by a shell, a process inherits SIGINT as ignored, and Python
    # then never raises KeyboardInterrupt: say plainly that Ctrl+C stops serve.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        waitress.serve(app, host=host, port=port, threads=threads, ident="Storybank")
    finally:
        if supervisor is not None:
            supervisor.stop()


def _lower_priority(steps: int) -> None:
    """Give the web the CPU first: transcription can wait a moment, a person should not."""
    if steps > 0:
        with contextlib.suppress(OSError):
            os.nice(steps)


@commands.command("worker")
@click.option("--threads", default=None, type=int, help="Jobs to run at once (default: setting).")
@click.option("--parent-pid", default=None, type=int, hidden=True)
@with_appcontext
def worker_command(threads: int | None, parent_pid: int | None) -> None:
    """Run a job consumer: resume abandoned jobs, then run queued ones until stopped."""
    from storybank.dbtools import current_and_head
    from storybank.pipeline.services import resume_abandoned_jobs
    from storybank.pipeline.supervisor import exit_with_parent

    if parent_pid is not None:  # started by `storybank serve`: never outlive it
        exit_with_parent(parent_pid)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    _lower_priority(app.config["WORKER_NICE"])
    _start_housekeeping(app)
    current, head = current_and_head(app)
    if current != head:
        raise click.ClickException("The database is not migrated. Run 'storybank db upgrade'.")
    resumed = resume_abandoned_jobs(requeue_waiting=True)
    if resumed:
        click.echo(f"Resumed {len(resumed)} job(s) left from before.")
    queue = app.extensions["storybank_queue"]
    consumer = queue.consumer(workers=threads or app.config["WORKER_THREADS"])
    click.echo("Worker running. Ctrl+C stops it after the current job.")
    consumer.run()


def _add_engine_commands() -> None:
    """Add the batch tools that run without a server or a database (and `tag train`)."""
    from storybank.anonymise.cli import anonymise_command
    from storybank.backup.cli import register_backup_commands
    from storybank.tag.cli import tag_command
    from storybank.transcribe.cli import transcribe_command

    main.add_command(transcribe_command, "transcribe")
    main.add_command(anonymise_command, "anonymise")
    tag_command.add_command(tag_train_command)
    main.add_command(tag_command, "tag")
    register_backup_commands(main)


_add_engine_commands()


if __name__ == "__main__":
    main()
