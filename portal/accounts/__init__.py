"""Staff accounts, roles, login, sessions and passwords."""
