"""Who hears of which domain event, in what words, and how they chose to hear. No I/O here.

Each event type that concerns people has a rule: its category (what a person chooses
channels for), who it concerns (people the event names, the community's managers or members,
the people registered for a workshop, the organisation's admins), which of its fields names
the person who acted (never told of their own act), and its title, a Jinja template. A type
without a rule reaches integrations only; a new one needs a rule here and nothing else.
"""
import datetime
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from jinja2 import Environment, StrictUndefined

from commonplace.actor import Actor, split_person_id
from commonplace.clock import parse_time
from commonplace.errors import NotFound
from commonplace.ids import new_id
from commonplace.permissions import MANAGERS as MANAGER_ROLES
from commonplace.visibility import can_see

IMMEDIATE, DIGEST, OFF = "immediate", "digest", "off"
EMAIL_CHOICES = (IMMEDIATE, DIGEST, OFF)

# category -> (what it is, email by default): at once for what asks the recipient to act.
CATEGORIES = {
    "join_requests": ("Someone asks to join a community you manage", IMMEDIATE),
    "invitations": ("You are invited to a community", IMMEDIATE),
    "reviews": ("An artifact is submitted for your review", IMMEDIATE),
    "integrations": ("A webhook endpoint of your organisation was disabled (organisation admins)", IMMEDIATE),
    "requests": ("Your request to join was approved or declined", DIGEST),
    "roles": ("Your role in a community changed", DIGEST),
    "workshops": ("A new workshop in your community; one you registered for moved or was cancelled", DIGEST),
    "registrations": ("Your registration is confirmed, waitlisted or promoted", DIGEST),
    "credits": ("You were awarded credits", DIGEST),
    "artifacts": ("Your artifact was approved, sent back, published, or is due for review", DIGEST),
    "answers": ("Your question was answered, or your answer accepted", DIGEST),
    "initiatives": ("An initiative you take part in: a progress note, a milestone due or done, its completion", DIGEST),
    "pathways": ("A pathway you follow: a step to read again, your completion, its expiry", DIGEST),
    "questions": ("A question you may be able to answer; one still unanswered in a community you facilitate", IMMEDIATE),
    "decisions": ("An initiative's decision: opened, closing within a day, decided, or due for review", IMMEDIATE),
}

@dataclass(frozen=True)
class Audience:
    """Whom a rule concerns: ``candidates(event, copies)`` are their ids, found in the service's
    own copies (``copies.communities``: membership; ``copies.directory``: people and workshops),
    before who may be told is decided."""
    name: str
    find: Callable

    def candidates(self, event, copies):
        return [user_id for user_id in self.find(event, copies) if user_id]


def named(field):
    """The person a field of the event's data names."""
    return Audience(field, lambda event, copies: [event["data"].get(field)])


def listed(field):
    """The people a list in the event's data names (an initiative's ``members`` or ``stewards``)."""
    return Audience(field, lambda event, copies: list(event["data"].get(field) or ()))


MANAGERS = Audience("managers", lambda event, copies: copies.communities.members(event.get("community"), MANAGER_ROLES))
MEMBERS = Audience("members", lambda event, copies: copies.communities.members(event.get("community")))
REGISTRANTS = Audience("registrants",
                       lambda event, copies: copies.directory.registered_for(event["data"].get("workshop_id")))
ORG_ADMINS = Audience("org_admins", lambda event, copies: copies.directory.admins_of(event.get("organisation")))


@dataclass(frozen=True)
class Rule:
    category: str
    concerns: Audience
    title: str
    actor: str | None = None  # the field naming who acted
    invites: bool = False  # the person concerned may see the community as an invitee


RULES = {
    "commonplace.membership.join_request.created": Rule(
        "join_requests", MANAGERS, "{{ person }} asks to join {{ community }}", actor="user_id"),
    "commonplace.membership.join_request.approved": Rule(
        "requests", named("user_id"), "Your request to join {{ community }} was approved", actor="decided_by", invites=True),
    "commonplace.membership.join_request.rejected": Rule(
        "requests", named("user_id"), "Your request to join {{ community }} was declined", actor="decided_by", invites=True),
    "commonplace.membership.invitation.created": Rule(
        "invitations", named("user_id"), "{{ actor }} invites you to {{ community }} as {{ data.role }}",
        actor="invited_by", invites=True),
    "commonplace.membership.member.role_changed": Rule(
        "roles", named("user_id"), "You are now {{ data.role }} of {{ community }}", actor="changed_by"),
    "commonplace.events.workshop.scheduled": Rule(
        "workshops", MEMBERS, "New workshop in {{ community }}: {{ data.title }}, "
                              "{{ data.starts_at | when(data.timezone) }}", actor="scheduled_by"),
    "commonplace.events.workshop.rescheduled": Rule(
        "workshops", REGISTRANTS, "{{ data.title }} moved to {{ data.starts_at | when(data.timezone) }}"),
    "commonplace.events.workshop.cancelled": Rule(
        "workshops", REGISTRANTS, "{{ data.title }} ({{ data.starts_at | when(data.timezone) }}) is cancelled",
        actor="cancelled_by"),
    "commonplace.events.registration.confirmed": Rule(
        "registrations", named("user_id"), "You have a seat at {{ workshop }}"),
    "commonplace.events.registration.waitlisted": Rule(
        "registrations", named("user_id"), "You are number {{ data.position }} on the waitlist for {{ workshop }}"),
    "commonplace.events.registration.promoted": Rule(
        "registrations", named("user_id"), "A seat freed up: you are in at {{ workshop }}"),
    "commonplace.events.credits.awarded": Rule(
        "credits", named("user_id"), "You earned {{ data.credits }} credits at {{ workshop }}"),
    "commonplace.knowledge.artifact.submitted": Rule(
        "reviews", MANAGERS, "{{ actor }} asks for a review of {{ data.title }}", actor="submitted_by"),
    "commonplace.knowledge.artifact.approved": Rule(
        "artifacts", named("author"), "{{ actor }} approved {{ data.title }}", actor="reviewed_by"),
    "commonplace.knowledge.artifact.changes_requested": Rule(
        "artifacts", named("author"), "{{ actor }} asked for changes to {{ data.title }}", actor="reviewed_by"),
    "commonplace.knowledge.artifact.published": Rule(
        "artifacts", named("author"), "{{ data.title }} is published", actor="published_by"),
    "commonplace.knowledge.artifact.needs_review": Rule(
        "artifacts", named("author"), "{{ data.title }} is due for review: is it still right?"),
    "commonplace.knowledge.answer.posted": Rule(
        "answers", named("asked_by"), "{{ actor }} answered {{ data.question_title }}", actor="answer_author"),
    "commonplace.knowledge.answer.accepted": Rule(
        "answers", named("answer_author"), "Your answer to {{ data.question_title }} was accepted", actor="accepted_by"),
    "commonplace.initiatives.initiative.update_posted": Rule(
        "initiatives", listed("members"), "{{ actor }} posted a progress note on {{ data.title }}", actor="author"),
    "commonplace.initiatives.initiative.completed": Rule(
        "initiatives", listed("members"), "{{ data.title }} is completed", actor="changed_by"),
    "commonplace.initiatives.initiative.member_role_changed": Rule(
        "initiatives", named("user_id"), "You are now {{ data.role }} of {{ data.title }}", actor="changed_by"),
    "commonplace.initiatives.milestone.due": Rule(
        "initiatives", listed("members"), "Due tomorrow: {{ data.milestone_title }} ({{ data.title }})"),
    "commonplace.initiatives.milestone.completed": Rule(
        "initiatives", listed("members"), "{{ actor }} completed {{ data.milestone_title }} ({{ data.title }})",
        actor="done_by"),
    "commonplace.initiatives.decision.opened": Rule(
        "decisions", listed("members"), "{{ actor }} asks {{ data.title }} to decide: {{ data.question }}",
        actor="opened_by"),
    "commonplace.initiatives.decision.closing": Rule(
        "decisions", listed("members"), "Closes within a day: {{ data.question }} ({{ data.title }})"),
    "commonplace.initiatives.decision.decided": Rule(
        "decisions", listed("members"), "Decided: {{ data.question }} ({{ data.title }})", actor="decided_by"),
    "commonplace.initiatives.decision.review_due": Rule(
        "decisions", listed("stewards"), "Review this decision: {{ data.question }} ({{ data.title }})"),
    "commonplace.learning.step.reopened": Rule(
        "pathways", named("user_id"), "{{ data.step_title }} was revised: read it again for {{ data.title }}"),
    "commonplace.learning.completion.awarded": Rule(
        "pathways", named("user_id"), "You completed {{ data.title }} and earned {{ data.credits }} credits"),
    "commonplace.learning.completion.expiring": Rule(
        "pathways", named("user_id"), "Your completion of {{ data.title }} expires in {{ data.days_left }} days"),
    "commonplace.expertise.question.routed": Rule(
        "questions", listed("experts"), "A question you may be able to answer: {{ data.question_title }}"),
    "commonplace.expertise.question.escalated": Rule(
        "questions", listed("facilitators"), "Still unanswered after two days: {{ data.question_title }}"),
    "commonplace.notifications.webhook.disabled": Rule(
        "integrations", ORG_ADMINS, "A webhook endpoint was disabled after {{ data.consecutive_failures }} "
                                    "failed deliveries: {{ data.url }}"),
}


def _when(instant, timezone="UTC"):
    """An event's time as its readers' clocks show it: "Tue 3 Dec 2030, 10:00 Europe/Paris"."""
    try:
        zone = ZoneInfo(timezone or "UTC")
    except (KeyError, ValueError):
        zone, timezone = ZoneInfo("UTC"), "UTC"
    local = parse_time(instant).astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} {timezone}"


_titles = Environment(autoescape=False, undefined=StrictUndefined)
_titles.filters["when"] = _when


def rule_for(event):
    return RULES.get(event.get("type"))


def acted_by(rule, event):
    return event["data"].get(rule.actor) if rule.actor else None


def addressees(rule, event, candidates, community, people, members):
    """The candidates who are told: never the one who acted, and only those who may know the
    community exists (``people``: user_id -> profile, for the roles that let an admin see;
    ``members``: those of the candidates who are members of the community)."""
    actor = acted_by(rule, event)
    told = []
    for user_id in dict.fromkeys(candidates):
        if not user_id or user_id == actor:
            continue
        if community is not None:
            person = Actor(user_id=user_id, organisation=split_person_id(user_id)[0],
                           roles=tuple((people.get(user_id) or {}).get("roles") or ()))
            if not can_see(community, person, user_id in members, invited=rule.invites):
                continue
        told.append(user_id)
    return told


def title(rule, event, names, community, workshop):
    """The one line a notification says, from the rule's template."""
    data = event["data"]
    return _titles.from_string(rule.title).render(
        data=data, community=(community or {}).get("name", "a community"),
        workshop=(workshop or {}).get("title", "a workshop"),
        actor=names.get(acted_by(rule, event)) or "Someone",
        person=names.get(data.get("user_id")) or "Someone")


# preferences

def preferences(stored):
    """Every category's choice: what the person chose, the defaults for the rest."""
    chosen = (stored or {}).get("categories", {})
    return {category: {"in_app": chosen.get(category, {}).get("in_app", True),
                       "email": chosen.get(category, {}).get("email", default)}
            for category, (_, default) in CATEGORIES.items()}


def described(choices):
    """Choices as the API shows them: each category with what it is."""
    return {"categories": {category: {**choice, "description": CATEGORIES[category][0]}
                           for category, choice in choices.items()}}


def preferences_document(user_id, choices, now):
    """What is kept of a person's choices (PUT replaces them: a category left out is back to its defaults)."""
    return {"_id": user_id, "categories": {category: dict(choice) for category, choice in choices.items()},
            "updated_at": now}


# notifications

def notices(event, rule, told, line, stored_choices, at):
    """(notifications to keep, those of them to email at once) of ``event`` for the people
    ``told``, each as they chose (``stored_choices``: person -> their stored preferences)."""
    kept, email_now = [], []
    for user_id in told:
        choice = preferences(stored_choices.get(user_id))[rule.category]
        notice = {"_id": new_id(), "dedup": f"{event['id']}|{user_id}", "user_id": user_id,
                  "type": event["type"], "category": rule.category, "title": line,
                  "community_id": event.get("community"), "subject": event.get("subject"),
                  "event_id": event["id"], "created_at": at, "read_at": None,
                  "in_app": choice["in_app"], "email": choice["email"],
                  "digest": "pending" if choice["email"] == DIGEST else None}
        if choice["in_app"] or choice["email"] == DIGEST:
            kept.append(notice)
        if choice["email"] == IMMEDIATE:
            email_now.append(notice)
    return kept, email_now


def require_notification(notification_, actor):
    """A person's own notification; NotFound for anyone else's."""
    if notification_ is None or notification_["user_id"] != actor.user_id or not notification_["in_app"]:
        raise NotFound("no such notification")
    return notification_


def digest_period(now, period_seconds):
    """(start, end) of the digest period holding ``now``: periods are aligned to the epoch,
    so a daily digest covers a UTC day."""
    seconds = int(now.timestamp()) // period_seconds * period_seconds
    start = datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)
    return start, start + datetime.timedelta(seconds=period_seconds)
