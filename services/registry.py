"""Every process of the platform, registered once.

The kernel finds this list through the entry point ``commonplace:registry``; the command line,
the catalogue of domain events, the notifications service (which hears every service's events),
the gateway's ``/healthz`` and the tests (Procfile, compose, Kubernetes, Prometheus, store
snapshots) all read it. Adding a service starts here: see docs/architecture.md, "Adding a
service".
"""
from commonplace.registry import Process

REGISTRY = (
    Process("membership", "services.membership.service:MembershipService",
            events="services.membership.domain_events", metrics_port=9101,
            records=("organisations", "communities", "memberships", "join_requests", "invitations")),
    Process("events", "services.events.service:EventsService",
            events="services.events.domain_events", metrics_port=9102,
            records=("workshops", "registrations")),
    Process("knowledge", "services.knowledge.service:KnowledgeService",
            events="services.knowledge.domain_events", metrics_port=9103,
            records=("artifacts", "revisions"), search_index=True),
    # (not its notifications: events of earlier requests keep making them meanwhile)
    Process("notifications", "services.notifications.service:NotificationsService",
            events="services.notifications.domain_events", metrics_port=9104,
            records=("api_keys", "webhooks")),
    # Who a person is: the platform's signing keys and the tokens they sign, organisations'
    # identity providers, sign-ins and sessions, the people they name.
    Process("identity", "services.identity.service:IdentityService",
            events="services.identity.domain_events", metrics_port=9105,
            records=("signing_keys", "identity_providers", "sessions", "people")),
    # Projects inside a community: stewards, contributors, milestones, progress notes, decisions.
    Process("initiatives", "services.initiatives.service:InitiativesService",
            events="services.initiatives.domain_events", metrics_port=9106,
            records=("initiatives", "milestones", "updates", "decisions", "ballots")),
    # Learning pathways: their steps, who is enrolled, progress from what people did, completions.
    Process("learning", "services.learning.service:LearningService",
            events="services.learning.domain_events", metrics_port=9107,
            records=("pathways", "enrolments", "achievements", "completions")),
    # Who knows what: evidence of what people did, scores per topic, questions routed to experts.
    Process("expertise", "services.expertise.service:ExpertiseService",
            events="services.expertise.domain_events", metrics_port=9108,
            records=("evidence", "scores", "profiles", "questions", "routings")),
    # The HTTP API; its store holds only the rate-limit buckets every replica shares.
    Process("gateway", "gateway.service:GatewayService", scaled_on="cpu", bookkeeping=("rate_limits",)),
    # The member web app: a client of the gateway's HTTP API; it keeps browsers' sessions.
    Process("web", "web.app:create_app", kind="wsgi", address_setting="WEB_ADDRESS", scaled_on="cpu",
            records=("sessions",)),
)
