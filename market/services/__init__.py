"""Queries and rules, one module per aggregate: the services' public API.

Above the services (flows, controllers, pages, the CLI) import an aggregate's service by its public name,
`from market.services import resources`, and call what its module offers (`resources.place_order(...)`); the
private module names (`_resources`) stay the services' own. A service imports a sibling's private module directly
(`from market.services._tasks import lock_task`), never this package: the package imports every service, so a
service importing it would close a cycle.

Importing any service loads them all, so whoever writes through one keeps the statistics' daily rollup in step: its
listeners live with the statistics (`_stats._rollup`).
"""

from market.services import _accounts as accounts
from market.services import _audit as audit
from market.services import _awards as awards
from market.services import _bars as bars
from market.services import _classes as classes
from market.services import _dossiers as dossiers
from market.services import _needs as needs
from market.services import _ocds as ocds
from market.services import _points as points
from market.services import _projects as projects
from market.services import _proposals as proposals
from market.services import _resources as resources
from market.services import _retention as retention
from market.services import _reviews as reviews
from market.services import _scoring as scoring
from market.services import _stats as stats
from market.services import _tasks as tasks

__all__ = [
    "accounts",
    "audit",
    "awards",
    "bars",
    "classes",
    "dossiers",
    "needs",
    "ocds",
    "points",
    "projects",
    "proposals",
    "resources",
    "retention",
    "reviews",
    "scoring",
    "stats",
    "tasks",
]
