"""Telling citizens: an outbox of messages written by event subscribers in the transaction of
the change that causes them, delivered later by ``flask notify send`` through the channel an
administrator chose (log, smtp, webhook)."""
