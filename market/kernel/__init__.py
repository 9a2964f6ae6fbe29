"""The shared kernel: what both domains (`market` and `alliances`) build on.

Persistence and transactions (`db`), the clock and the zone (`clock`), the error tree (`errors`), the audit
recorder with who acts (`audit`), and who is signed in with which role (`guards`). The kernel imports nothing
from `market` outside itself and nothing from `alliances`; `alliances` imports nothing from `market` but the
kernel. `tests/unit/test_structure.py` holds both rules.
"""
