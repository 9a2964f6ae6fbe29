"""Pydantic-free request and response bodies (msgspec)."""
