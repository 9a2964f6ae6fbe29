"""Queries and rules, one module per aggregate."""

# Whoever writes through a service keeps the statistics' daily rollup in step: its listeners live with the statistics.
from market.services import _stats as _stats
