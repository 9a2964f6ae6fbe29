"""Queries and rules, one module per aggregate."""
