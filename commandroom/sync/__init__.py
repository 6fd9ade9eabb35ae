"""Offline-first sync: buckets, protocol types, the server's change log and the client engine."""
