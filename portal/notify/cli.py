"""``flask --app wsgi notify send``: queue tomorrow's reminders, then deliver what is due."""
from __future__ import annotations

import logging

import click
from flask import current_app

from portal import calendar
from portal.actions import commit
from portal.notify import messages, sender


@click.group("notify", help="Citizen notifications (the outbox).")
def notify_group():
    pass


@notify_group.command("send")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100_000),
              help="Deliver at most this many messages in this run.")
def send(limit: int) -> None:
    """Queue a reminder for every confirmed booking of a session tomorrow, then deliver the
    due messages through the channel chosen in the settings."""
    if current_app.logger.level == logging.NOTSET:  # the log channel's lines are the output
        current_app.logger.setLevel(logging.INFO)
    now = calendar.now()
    queued = commit(lambda: messages.queue_reminders(now))
    result = sender.send_due(now, limit=limit)
    click.echo(f"sent {result.sent}, retried {result.retried}, failed {result.failed}, "
               f"reminders queued {queued}")
