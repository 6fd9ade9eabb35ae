"""Database access: engines for SQLite (the desk store, embedded server) and PostgreSQL, and the desk store (``local``)."""
