"""Database URLs reach the driver as given: a percent-encoded password stays one password."""

from __future__ import annotations

from sqlalchemy.engine import make_url

from commandroom.store.db import normalise_url


def test_percent_encoded_password_is_passed_through_intact():
    url = normalise_url("postgresql://cr:p%40ss%2Fw0rd@db.example:5432/commandroom")
    parsed = make_url(url)
    assert url == "postgresql+psycopg://cr:p%40ss%2Fw0rd@db.example:5432/commandroom"
    assert (parsed.host, parsed.port, parsed.username, parsed.password, parsed.database) == (
        "db.example", 5432, "cr", "p@ss/w0rd", "commandroom")


def test_plain_urls_and_paths_are_unchanged_in_meaning():
    assert make_url(normalise_url("postgres://u:secret@h/db")).password == "secret"
    assert normalise_url("postgresql://postgres@127.0.0.1:5432/x") == "postgresql+psycopg://postgres@127.0.0.1:5432/x"
    assert normalise_url("sqlite:///a.db") == "sqlite:///a.db"
