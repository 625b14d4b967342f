"""Indexes the statistics need to stay under 300 ms a figure at a million bookings (migrations
0011, 0012). Declared here, beside the queries they serve, on the other domains' tables.

- reception_place (session_id, walk_in): a session's walk-in places (the desk), and the
  place triggers' probes (migration 0012);
- booking (id_hash, created_at) and eval_matter (petitioner_id_hash, created_at): whether an
  evaluated matter's petitioner came back within the 息诉息访 window, one range probe each;
- eval_matter (result_published_on): the matters whose result was published in a period.
"""
from sqlalchemy import Index

from portal.evaluation.interface import Matter
from portal.reception.models import Booking, Place

PLACE_WALK_IN = Index("ix_reception_place_session_id_walk_in", Place.session_id, Place.walk_in)
BOOKING_RETURNS = Index("ix_booking_id_hash_created_at", Booking.id_hash, Booking.created_at)
MATTER_RETURNS = Index("ix_eval_matter_petitioner_id_hash_created_at", Matter.petitioner_id_hash,
                       Matter.created_at)
MATTER_PUBLISHED = Index("ix_eval_matter_result_published_on", Matter.result_published_on)
