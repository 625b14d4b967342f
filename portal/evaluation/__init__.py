"""Third-party evaluation of disputed petition matters (不满意信访事项第三方评价).

Matters, applications, the evaluator pool, panels with recusal, hearing notices, polls
(electronic secret ballot or paper counts), the opinion letter, published results and the
follow-up of 不满意 matters. Other parts of the portal ask it through ``interface`` only
(reception: was this matter evaluated 满意?); nothing here imports reception.

Layout: ``codes`` (labels) · ``models``, ``poll_records`` (tables) · ``lifecycle`` + ``guards``
(which status may follow which, for whom, when) · ``queries`` (every read) · services:
``matters``, ``applications``, ``pool``, ``hearings``, ``panels``, ``voting`` (+ ``paper``,
``sealed_tally``), ``results``, ``followup`` · ``rules``, ``fields`` (small shared rules and
helpers) · ``timeline``, ``documents`` (read models) · views: ``views`` (public, panel),
``staff_views``, ``hearing_views`` + ``hearing_page`` · ``demo``.
"""
