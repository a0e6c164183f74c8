"""Clients for the third-party services Vigil talks to."""
