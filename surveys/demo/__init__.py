"""The demo organisation behind `manage.py seed_demo`.

Northwind Hospitality: three hotels, four departments, fourteen teams, about 190 people, one
user per role, the seven template surveys and six months of answers. Each team has a latent
health per month (dashboards/datagen/model.py) that drives both its employees' answers and, a
month behind, its customers' answers, so EX and CX move together. Two teams decline, one has
just started to (the early warning list has something to show), one recovers, and the concierge
team is too small to be shown (4 people, under the anonymity threshold of 5).

Idempotent: when the organisation exists nothing is changed (the credentials are printed
again); `reset=True` deletes it first and builds it afresh. Everything is built in one
transaction, so a failed run leaves nothing behind.
"""

from surveys.demo.build import demo_seed
from surveys.demo.cast import (
    DECLINING,
    ORG_NAME,
    PASSWORD,
    SLIPPING,
    USERS,
    credentials,
)

__all__ = ["DECLINING", "ORG_NAME", "PASSWORD", "SLIPPING", "USERS", "credentials", "demo_seed"]
