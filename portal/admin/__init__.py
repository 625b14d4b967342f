"""Administration pages: rule settings, the working calendar, the audit log."""
