"""`storybank backup FOLDER` and `storybank restore FOLDER`."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext


def _fail(error: Exception) -> click.ClickException:
    return click.ClickException(str(error))


@click.command("backup")
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@with_appcontext
def backup_command(folder: Path) -> None:
    """Write a consistent snapshot (database, media, checksum manifest) into a new FOLDER."""
    from storybank.backup.engine import BackupError
    from storybank.backup.services import create_backup

    try:
        summary = create_backup(folder)
    except BackupError as error:
        raise _fail(error) from error
    click.echo(
        f"Backed up the {summary.database_kind} database (schema {summary.schema_revision}) "
        f"and {summary.media_files} media file(s), {summary.total_bytes} bytes, to {folder}."
    )
    if summary.vanished:
        click.echo(f"{summary.vanished} file(s) were erased while it ran and are not in it.")


@click.command("restore")
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option(
    "--force",
    is_flag=True,
    help="Replace an instance that holds data (it is backed up into instance/backups first).",
)
@with_appcontext
def restore_command(folder: Path, force: bool) -> None:
    """Check a backup's checksums, restore it into an empty instance, re-apply later erasures."""
    from storybank.backup.engine import BackupError
    from storybank.backup.services import restore_backup

    try:
        summary = restore_backup(folder, force=force)
    except BackupError as error:
        raise _fail(error) from error
    if summary.safety_backup:
        click.echo(f"What was there before is backed up in {summary.safety_backup}.")
    click.echo(
        f"Restored the {summary.database_kind} database (schema {summary.schema_revision}) "
        f"and {summary.media_files} media file(s) from {folder}."
    )
    if summary.upgraded_to:
        click.echo(f"Migrated the database to {summary.upgraded_to}.")
    count = len(summary.erasures_reapplied)
    click.echo(f"Re-applied {count} erasure(s) made after the backup.")


def register_backup_commands(group: click.Group) -> None:
    """Add `backup` and `restore` to the storybank command."""
    group.add_command(backup_command, "backup")
    group.add_command(restore_command, "restore")
