"""Configuration, read from the environment in one place.

Every setting has a default that runs the whole platform on one machine. The result is a
nameko config dict (upper-case keys), so dependency providers read it from
``self.container.config`` like nameko's own ``AMQP_URI``.
"""
import os

DEFAULT_JWT_SECRET = "commonplace-development-secret-change-me"
DEFAULT_WEB_SECRET = "commonplace-development-web-secret-change-me"
QUEUE_TYPES = ("classic", "quorum")


class Invalid(ValueError):
    """A setting's value cannot be used; the message names the setting."""


def _boolean(value):
    if value.lower() in ("true", "1", "yes"):
        return True
    if value.lower() in ("false", "0", "no"):
        return False
    raise ValueError("must be true or false")


def _queue_type(value):
    if value not in QUEUE_TYPES:
        raise ValueError(f"must be one of {', '.join(QUEUE_TYPES)}")
    return value


def _signing_algorithm(value):
    if value not in ("RS256", "ES256"):
        raise ValueError("must be RS256 or ES256")
    return value


def _access_token_minutes(value):
    minutes = float(value)
    if not 0 < minutes <= 15:
        raise ValueError("must be more than 0 and at most 15")
    return minutes


# name: (default, converter, description). The README's configuration table mirrors this.
SETTINGS = {
    "AMQP_URI": ("amqp://guest:guest@127.0.0.1:5672/", str, "RabbitMQ broker"),
    "AMQP_QUEUE_TYPE": ("classic", _queue_type,
                        "classic or quorum: the type of the domain-event and dead-letter queues"),
    "STORE_URI": ("file://./var/store", str,
                  "mongodb://… for MongoDB; file://PATH for the embedded store; memory:// for tests"),
    "JWT_SECRET": (DEFAULT_JWT_SECRET, str, "HS256 key that signs development tokens"),
    "JWT_ISSUER": ("commonplace", str, "`iss` of the platform's tokens (platform-signed and development)"),
    "SIGNING_ALGORITHM": ("RS256", _signing_algorithm, "RS256 or ES256: the kind of key the platform signs "
                          "its tokens with (made at first start and by `commonplace keys rotate`)"),
    "SIGNING_KEY_NOTICE_SECONDS": (120.0, float, "seconds a new signing key is published before it signs, "
                                   "so that every gateway knows it first"),
    "ACCESS_TOKEN_MINUTES": (15.0, _access_token_minutes, "minutes a platform access token lasts (at most 15)"),
    "GATEWAY_ADDRESS": ("127.0.0.1:8000", str, "host:port the HTTP gateway listens on"),
    "RATE_LIMIT_READS": (1200, int, "reads (GET) a person or an API key may make a minute, at once or "
                         "spread (0: no limit)"),
    "RATE_LIMIT_WRITES": (300, int, "writes a person or an API key may make a minute (0: no limit)"),
    "RATE_LIMIT_SIGN_INS": (10, int, "sign-ins a minute naming one email address, or by organisation from "
                            "one network address (0: no limit)"),
    "MAX_BODY_BYTES": (1024 * 1024, int, "largest accepted request body"),
    "RPC_TIMEOUT": (5.0, float, "seconds the gateway waits for a service before answering 504"),
    "EVENT_MAX_ATTEMPTS": (5, int, "deliveries of a failing domain event before it is dead-lettered"),
    "OUTBOX_INTERVAL": (2.0, float, "seconds between sweeps of unpublished domain events"),
    "OUTBOX_BATCH": (500, int, "documents' events an outbox relay publishes with one wait for confirms"),
    "METRICS_PORT": (0, int, "port for a service's /metrics (0: none; the gateway serves its own)"),
    "METRICS_ADDRESS": ("127.0.0.1", str, "address a service's /metrics listens on (0.0.0.0 in containers)"),
    "LOG_LEVEL": ("INFO", str, "log level of every process"),
    "RECOUNT_INTERVAL": (60.0, float, "seconds between checks of stored counts (members, seats) against "
                         "their records; a difference seen on two checks in a row is put right"),
    "FAILPOINTS": ("", str, "comma-separated fault-injection points, for crash tests only"),
    "INITIATIVE_REMINDER_INTERVAL": (60.0, float, "seconds between checks for decisions to close and "
                                     "milestones, decisions and reviews to remind people of"),
    "PATHWAY_EXPIRY_INTERVAL": (3600.0, float, "seconds between checks for pathway completions about to "
                                "expire (their learners told 30 and 7 days before)"),
    "EXPERTISE_HALF_LIFE_DAYS": (365.0, float, "days after which a piece of evidence of expertise counts half"),
    "EXPERTISE_RANKING_SECONDS": (10.0, float, "seconds an expertise process ranks a topic from its last read "
                                  "of the topic's scores (new evidence shows within this)"),
    "EXPERTISE_ESCALATION_INTERVAL": (600.0, float, "seconds between checks for questions unanswered after two "
                                      "days (sent to the community's facilitators, once)"),
    "SEARCH_URI": ("", str, "http://host:9200 of OpenSearch, shared by every knowledge process for search; "
                   "unset: each knowledge process keeps its own index in memory"),
    "SEARCH_INDEX": ("commonplace-knowledge", str, "the alias knowledge searches in OpenSearch (the index "
                     "behind it is named after it and the time it was built)"),
    "SEARCH_TIMEOUT": (2.0, float, "seconds OpenSearch has to answer a search or an indexing request"),
    "SEARCH_SWEEP_INTERVAL": (30.0, float, "seconds between sweeps of artifacts changed since the last one into "
                              "the search index (what an event's indexing missed)"),
    "KNOWLEDGE_FRESHNESS_INTERVAL": (3600.0, float,
                                     "seconds between checks for published knowledge past its review_by"),
    "EVENT_FEED_RETENTION_DAYS": (30.0, float, "days the event feed keeps an event, replayable"),
    "WEBHOOK_ALLOWED_HOSTS": ("", str, "hosts and CIDRs webhooks may reach though private or loopback"),
    "WEBHOOK_RETRY_SCHEDULE": ("5,60,300,1800,3600,7200,14400,28800,28800", str,
                               "seconds between a webhook delivery's attempts (about a day in all)"),
    "WEBHOOK_DISABLE_AFTER": (20, int, "consecutive failed attempts after which an endpoint is disabled"),
    "WEBHOOK_TIMEOUT": (10.0, float, "seconds a webhook endpoint has to answer"),
    "WEBHOOK_ROTATION_OVERLAP": (86400.0, float, "seconds an old webhook secret still signs after a rotation"),
    "SMTP_URL": ("", str, "smtp://[user:password@]host:port (smtps:// for TLS); unset: no email"),
    "SMTP_FROM": ("Commonplace <notifications@commonplace.invalid>", str, "the From of every email"),
    "EMAIL_DIGEST_PERIOD": (86400, int, "seconds a digest email covers (a UTC day)"),
    "WEB_ADDRESS": ("127.0.0.1:8080", str, "host:port the web app listens on"),
    "GATEWAY_URL": ("", str, "where the web app reaches the HTTP API (empty: http://GATEWAY_ADDRESS)"),
    "PUBLIC_URL": ("", str, "where browsers reach the web app (empty: http://WEB_ADDRESS); its session "
                   "cookie is Secure unless this is a loopback address"),
    "WEB_SECRET": (DEFAULT_WEB_SECRET, str, "key that signs the web app's CSRF tokens"),
    "AUTH_DEV_TOKENS": (True, _boolean, "development sign-in and HS256 development tokens allowed"),
    "SESSION_IDLE_MINUTES": (120.0, float, "minutes without a request after which a session ends"),
    "SESSION_LIFETIME_HOURS": (12.0, float, "hours after sign-in at which a session ends, however active"),
    "IDENTITY_PROVIDER_ALLOWED_HOSTS": ("", str, "hosts and CIDRs an identity provider may be at though "
                                        "private or loopback, and over plain http"),
    "IDENTITY_PROVIDER_TIMEOUT": (5.0, float, "seconds an identity provider has to answer the platform"),
    "IDENTITY_PROVIDER_KEYS_REFETCH": (30.0, float, "seconds between fetches of a provider's keys caused "
                                       "by a token signed with a key it did not publish before"),
    "SIGN_IN_MINUTES": (10.0, float, "minutes a person has to come back from their provider with a sign-in"),
}


def load(environ=None):
    """Return the platform's configuration as a nameko config dict.

    Values come from ``environ`` (default ``os.environ``); anything unset takes its default.
    """
    environ = os.environ if environ is None else environ
    config = {}
    for name, (default, convert, _) in SETTINGS.items():
        raw = environ.get(name)
        try:
            config[name] = default if raw in (None, "") else convert(raw)
        except ValueError as error:
            raise Invalid(f"{name}={raw!r}: {error}") from None
    host, _, port = config["GATEWAY_ADDRESS"].rpartition(":")
    # nameko's web server reads this key.
    config["WEB_SERVER_ADDRESS"] = f"{host or '127.0.0.1'}:{port}"
    if not config["GATEWAY_URL"]:
        config["GATEWAY_URL"] = f"http://{'127.0.0.1' if host in ('', '0.0.0.0') else host}:{port}"
    if not config["PUBLIC_URL"]:
        config["PUBLIC_URL"] = f"http://{config['WEB_ADDRESS']}"
    # nameko's consumers accept domain events (CloudEvents in structured mode, which
    # commonplace.envelope publishes) besides its own JSON.
    config["SERIALIZERS"] = {"cloudevents": {"encoder": "json.dumps", "decoder": "json.loads",
                                             "content_type": "application/cloudevents+json",
                                             "content_encoding": "utf-8"}}
    config["ACCEPT"] = ["json", "cloudevents"]
    return config
