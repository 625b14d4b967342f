"""Leaders' public appointment reception: leaders, sessions, places (号源) and bookings."""
