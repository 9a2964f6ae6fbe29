"""Alliances, organisations, chair rotation, streets and communities."""
