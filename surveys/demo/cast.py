"""Who and what the demo organisation is made of: its teams (and how each one fares), its
users, and which surveys ran when."""

from __future__ import annotations

from dataclasses import dataclass

from surveys.models import Driver, Role

ORG_NAME = "Northwind Hospitality"
PASSWORD = "tandem-demo"
DOMAIN = "northwind.example"
MONTHS = 6
# Rounds remind who has not answered this many days after they open (the pulse's schedule).
REMIND_AFTER_DAYS = 3
SEED = 20240601
DEPARTMENTS = ("Front Office", "Food & Beverage", "Housekeeping", "Guest Support")
SEATTLE, PORTLAND, VANCOUVER = "Seattle Waterfront", "Portland Pearl", "Vancouver Harbour"


@dataclass(frozen=True)
class TeamSpec:
    name: str
    department: str
    location: str
    size: int
    health: float  # 0 is a so-so team, +0.6 a great one
    trend: float = 0.0  # health change per month, from month `trend_from`
    trend_from: int = 0
    csat_per_day: float = 3.0
    support: bool = False  # answers the customer-effort survey too


TEAMS = (
    TeamSpec("Seattle Front Desk", "Front Office", SEATTLE, 14, 0.6, csat_per_day=4),
    # Just started to slip (a new chef, longer shifts): staff feel it now, guests not yet.
    TeamSpec("Seattle Restaurant", "Food & Beverage", SEATTLE, 22, 0.5, -0.8, MONTHS - 2, 8),
    # Recovering after a rough spring: new lead, new rota.
    TeamSpec("Seattle Housekeeping", "Housekeeping", SEATTLE, 15, -0.6, 0.22, 1, 1.5),
    TeamSpec("Seattle Guest Support", "Guest Support", SEATTLE, 11, 0.4, support=True),
    TeamSpec("Seattle Concierge", "Front Office", SEATTLE, 4, 0.5, csat_per_day=1.5),
    TeamSpec("Portland Front Desk", "Front Office", PORTLAND, 13, 0.2, csat_per_day=4),
    # Declining: short-staffed since month 2, and the guests notice a month later.
    TeamSpec("Portland Restaurant", "Food & Beverage", PORTLAND, 17, 0.5, -0.4, 2, 4),
    TeamSpec("Portland Housekeeping", "Housekeeping", PORTLAND, 14, 0.1, csat_per_day=1.5),
    TeamSpec("Portland Guest Support", "Guest Support", PORTLAND, 10, 0.3, support=True),
    TeamSpec("Central Reservations", "Guest Support", PORTLAND, 18, 0.2, 0.0, 0, 5, True),
    TeamSpec("Vancouver Front Desk", "Front Office", VANCOUVER, 12, 0.4, csat_per_day=4),
    TeamSpec("Vancouver Restaurant", "Food & Beverage", VANCOUVER, 15, 0.0, csat_per_day=4),
    TeamSpec("Vancouver Housekeeping", "Housekeeping", VANCOUVER, 13, 0.2, csat_per_day=1.5),
    # Declining: a new ticketing tool that nobody was trained on.
    TeamSpec("Vancouver Guest Support", "Guest Support", VANCOUVER, 11, 0.45, -0.3, 1, 3, True),
)
DECLINING = ("Portland Restaurant", "Vancouver Guest Support")
SLIPPING = "Seattle Restaurant"  # the early warning: employee scores down, customers' not yet


@dataclass(frozen=True)
class UserSpec:
    email: str
    name: str
    role: str
    team: str | None = None


USERS = (
    UserSpec(f"hr@{DOMAIN}", "Hannah Reyes", Role.HR_ADMIN),
    UserSpec(f"cx@{DOMAIN}", "Marcus Okafor", Role.CX_MANAGER),
    UserSpec(f"lead.seattle@{DOMAIN}", "Priya Banerjee", Role.TEAM_LEAD, "Seattle Front Desk"),
    UserSpec(f"lead.portland@{DOMAIN}", "Diego Alvarez", Role.TEAM_LEAD, "Portland Restaurant"),
    UserSpec(f"staff@{DOMAIN}", "Sam Taylor", Role.STAFF, "Seattle Front Desk"),
)

# Template key -> rounds (months, 0-based) it was sent in; CX surveys run continuously.
EX_ROUNDS = {
    "enps_pulse": tuple(range(MONTHS)),
    "engagement": (0, 3),
    "frontline_voice": (4,),
    "wellbeing": (MONTHS - 1,),
}
CX_DAILY = {"csat_post_interaction": None, "nps_relationship": 0.8, "ces_support": 3.0}
NAMED_SURVEYS = ("csat_post_interaction",)  # agent recorded, so detractor follow-ups show answers
# The drivers that sink first when a team runs short of people.
STRAIN = {Driver.WORKLOAD: -0.5, Driver.WELLBEING: -0.4, Driver.MANAGER_SUPPORT: -0.3}


def credentials() -> list[tuple[str, str, str]]:
    """(role, email, team) of each demo user; all share PASSWORD."""
    return [(str(Role(u.role).label), u.email, u.team or "") for u in USERS]
