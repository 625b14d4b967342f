"""Staff accounts, roles, login, and the administrator's pages (users, settings, calendar, audit)."""
