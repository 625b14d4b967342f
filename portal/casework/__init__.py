"""接谈与交办督办: what happens after check-in — the reception record of each visit, the
hand-over of a case to a responsible unit with a deadline, its supervision until it is
concluded, the ledgers and exports. Depends on reception; reception knows nothing of it."""
