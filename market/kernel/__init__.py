"""The shared kernel: what both domains (`market` and `alliances`) build on.

Persistence and transactions (`db`), the clock (`clock`) and the error tree (`errors`). The kernel imports nothing
from `market` outside itself and nothing from `alliances`; `alliances` imports nothing from `market` but the
kernel. `tests/unit/test_structure.py` holds both rules.
"""
