"""A minimal Django + DRF peer serving jiebang's browse query from jiebang's own tables (bench only)."""
