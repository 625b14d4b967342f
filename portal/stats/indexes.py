"""Indexes the statistics need to stay under 300 ms a figure at a million bookings (migrations
0011–0013). Declared here, beside the queries they serve, on the other domains' tables.

- reception_place (session_id, walk_in): a session's walk-in places (the desk), and the
  place triggers' probes (migration 0012);
- booking (id_hash, created_at) and eval_matter (petitioner_id_hash, created_at): when an
  evaluated matter's petitioner first came back (the triggers of migration 0013 that keep
  ``eval_matter.petitioner_returned_at``), one probe each;
- eval_matter (result_published_on, petitioner_returned_at): the matters whose result was
  published in a period and which of them are settled, from the index alone (migration 0013;
  it replaced 0011's index on result_published_on alone);
- eval_followup (status, done_at): the follow-ups done in a period, from the index alone
  (migration 0013).
"""
from sqlalchemy import Index

from portal.evaluation.interface import FollowUp, Matter
from portal.reception.models import Booking, Place

PLACE_WALK_IN = Index("ix_reception_place_session_id_walk_in", Place.session_id, Place.walk_in)
BOOKING_RETURNS = Index("ix_booking_id_hash_created_at", Booking.id_hash, Booking.created_at)
MATTER_RETURNS = Index("ix_eval_matter_petitioner_id_hash_created_at", Matter.petitioner_id_hash,
                       Matter.created_at)
MATTER_PUBLISHED = Index("ix_eval_matter_result_published_on_petitioner_returned_at",
                         Matter.result_published_on, Matter.petitioner_returned_at)
FOLLOWUPS_DONE = Index("ix_eval_followup_status_done_at", FollowUp.status, FollowUp.done_at)
