"""Offline-first sync: buckets, protocol types and the client engine (the desk store it fills is :mod:`commandroom.store.local`)."""
