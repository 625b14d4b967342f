"""Command line: users, demo data, the audit log, and the reception day job."""
from __future__ import annotations

import click
from flask import Flask

from portal import audit, calendar
from portal.actions import commit
from portal.backup import backup_command
from portal.errors import DomainError
from portal.extensions import db


def register_cli(app: Flask) -> None:
    app.cli.add_command(users)
    app.cli.add_command(demo)
    app.cli.add_command(audit_group)
    app.cli.add_command(reception_group)
    from portal.notify.cli import notify_group

    app.cli.add_command(notify_group)
    app.cli.add_command(backup_command)


@click.group(help="Staff accounts.")
def users():
    pass


@users.command("create")
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice(["admin", "reception", "evaluation", "panel"]))
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--name", "display_name", default="", help="Display name (姓名).")
def create_user(username, role, password, display_name):
    from portal.accounts.services import create_user as create

    try:
        user = create(username, role, password, display_name, actor="命令行")
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"created {user.username} ({user.role})")


@click.group(help="Demo data.")
def demo():
    pass


@demo.command("seed")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has data.")
@click.option("--bookings", default=0, type=click.IntRange(min=0),
              help="Extra past bookings (with records and hand-overs) for benchmarks, in bulk.")
@click.option("--matters", default=0, type=click.IntRange(min=0),
              help="Extra evaluation matters (one in ten with a published result), in bulk.")
def seed(if_empty, bookings, matters):
    from portal.demo import seed_demo

    created = seed_demo(if_empty=if_empty, extra_bookings=bookings, extra_matters=matters)
    click.echo(created)


@click.group("audit", help="The audit log.")
def audit_group():
    pass


@audit_group.command("verify")
@click.option("--expect-head", metavar="COUNT:HASH",
              help="A head printed by an earlier run: fail if that entry is gone or differs.")
def verify(expect_head):
    """Check the hash chain and seals; print the head to record for the next run."""
    try:
        expect = audit.Head.parse(expect_head) if expect_head else None
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--expect-head") from None
    verdict = audit.verify_chain(expect)
    if verdict.broken is not None:
        raise click.ClickException(f"audit chain broken at entry {verdict.broken}: "
                                   f"{verdict.problem} ({verdict.count} checked)")
    click.echo(f"audit chain intact: {verdict.count} entries")
    click.echo(f"head: {verdict.head}  (keep it; check it later with --expect-head)")


@audit_group.command("prune")
def prune():
    """Run daily: remove entries older than the retention setting (操作日志保留天数)."""
    try:
        removed = commit(audit.prune)
    except audit.ChainBroken as error:
        raise click.ClickException(f"{error}; nothing removed") from None
    click.echo(f"pruned {removed} audit entries")


@click.group("reception", help="Reception jobs.")
def reception_group():
    pass


@reception_group.command("close-past")
def close_past():
    """Run daily: close past sessions (confirmed but absent -> 爽约; unreviewed -> expired)."""
    from portal.reception.management import close_past_sessions

    closed = close_past_sessions(calendar.now().date())
    db.session.commit()
    click.echo(f"closed {closed} sessions")


@reception_group.command("offers-expire")
def offers_expire():
    """Run every few minutes: 候补 offers not confirmed in time lapse; their places go to the next."""
    from portal.reception.waitlist import lapse_offers

    lapsed = lapse_offers(calendar.now())
    db.session.commit()
    click.echo(f"lapsed {lapsed} offers")


@reception_group.command("recount-tally")
def recount_tally():
    """Recount the statistics' reception tally from the bookings. Database triggers keep it;
    this is for after restoring some tables only, or to check it (differed should be 0)."""
    from portal.stats.tally import rebuild

    rows, differed = rebuild()
    db.session.commit()
    click.echo(f"recounted {rows} rows; {differed} differed from what was kept")
