"""The access recommender: the questionnaire's answers -> bundles, by fixed rules.

The rules (documented in docs/integrations/questionnaire.md) are a table, applied in
order; each answer that is true adds its bundle and its rationale. No randomness, no
model: the same answers always get the same recommendation.
"""

from __future__ import annotations

from dataclasses import dataclass

from evcare.identity.scopes import Scope
from evcare.integrations.bundles import Bundle


@dataclass(frozen=True)
class Answers:
    manages_organization: bool = False  # subordinate accounts, org-wide settings
    manages_fleet: bool = False  # vehicles, maintenance, tickets of a fleet
    has_drivers: bool = False  # drivers are assigned vehicles
    serves_clients: bool = False  # end customers self-serve (vehicles, sessions, tickets)
    needs_sign_in: bool = False  # your users sign in to EVCare through you
    embeds_portal: bool = False  # you embed EVCare's hosted portal
    takes_payments: bool = False  # subscriptions / Paystack


@dataclass(frozen=True)
class Rule:
    answer: str
    bundle: Bundle
    scope_hints: tuple[str, ...]
    rationale: str


RULES: tuple[Rule, ...] = (
    Rule(
        "manages_organization",
        Bundle.ORGANIZATION_ACCESS,
        (Scope.READ_ORGANIZATION, Scope.WRITE_ORGANIZATION),
        "You manage an organization and its accounts: ORGANIZATION_ACCESS.",
    ),
    Rule(
        "manages_fleet",
        Bundle.FLEET_MANAGER_ACCESS,
        (Scope.READ_FLEET, Scope.WRITE_FLEET, Scope.READ_VEHICLES),
        "You run a fleet's vehicles and maintenance: FLEET_MANAGER_ACCESS.",
    ),
    Rule(
        "has_drivers",
        Bundle.FLEET_MANAGER_ACCESS,
        (Scope.READ_FLEET, Scope.WRITE_FLEET),
        "Drivers are managed by a fleet manager: FLEET_MANAGER_ACCESS (role hint DRIVER).",
    ),
    Rule(
        "serves_clients",
        Bundle.CLIENT_ACCESS,
        (Scope.READ_PROFILE, Scope.READ_SESSIONS, Scope.READ_VEHICLES),
        "Your customers self-serve: CLIENT_ACCESS.",
    ),
    Rule(
        "needs_sign_in",
        Bundle.CLIENT_ACCESS,
        (Scope.FEDERATE_USERS,),
        "Your users sign in through you: federated sign-in with role hint CLIENT.",
    ),
    Rule(
        "embeds_portal",
        Bundle.ALL_ACCESS,
        (Scope.EMBED_PORTAL,),
        "The hosted embed portal is only in ALL_ACCESS.",
    ),
)


@dataclass(frozen=True)
class Recommendation:
    bundles: list[Bundle]
    confidence: float
    scope_hints: list[str]
    rationale: list[str]


def recommend(answers: Answers) -> Recommendation:
    """Apply :data:`RULES`; ALL_ACCESS absorbs the others.

    Confidence starts at 1.0 and loses 0.15 for every bundle beyond the first (the more
    bundles, the more likely a narrower split fits) and 0.3 when nothing was answered
    true (CLIENT_ACCESS is then only a default); it never goes below 0.1."""
    fired = [rule for rule in RULES if getattr(answers, rule.answer)]
    rationale = [rule.rationale for rule in fired]
    bundles = list(dict.fromkeys(rule.bundle for rule in fired))
    hints = list(dict.fromkeys(str(hint) for rule in fired for hint in rule.scope_hints))
    if answers.takes_payments:
        rationale.append(
            "Payments use the integration's own billing routes; no bundle is needed for them."
        )
    confidence = 1.0
    if not bundles:
        bundles = [Bundle.CLIENT_ACCESS]
        rationale.append("Nothing specific was selected: CLIENT_ACCESS is the narrowest start.")
        confidence -= 0.3
    if Bundle.ALL_ACCESS in bundles:
        bundles = [Bundle.ALL_ACCESS]
    confidence -= 0.15 * (len(bundles) - 1)
    return Recommendation(
        bundles=bundles,
        confidence=round(max(confidence, 0.1), 2),
        scope_hints=hints,
        rationale=rationale,
    )
