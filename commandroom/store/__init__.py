"""Database access: engines for SQLite (client cache, embedded server) and PostgreSQL."""
