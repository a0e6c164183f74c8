"""The seeded account generator."""

from pdsim.seed.generate import generate

__all__ = ["generate"]
