"""Nothing to see here."""
VALUE = 42
