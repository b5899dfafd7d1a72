"""The catalogue of the initiatives service's domain events (``data`` of each).

An initiative event carries the initiative as it is after the change, with ``stewards`` and
``members`` (every steward and contributor), so whoever hears it knows whom it concerns
without asking: the notifications service tells the people these lists name.
"""
from marshmallow import Schema, fields

from commonplace.boundary import CalendarDay
from commonplace.envelope import EventCatalogue, EventTime

events = EventCatalogue("initiatives")
new_event = events.new


def initiative_event(short_type, initiative, data):
    """A new event about ``initiative`` (its community and organisation go in the envelope)."""
    return new_event(short_type, subject=f"initiatives/{initiative['_id']}", community=initiative["community_id"],
                     organisation=initiative["organisation"], data={
                         "initiative_id": initiative["_id"], "community_id": initiative["community_id"],
                         "title": initiative["title"], "status": initiative["status"],
                         "tags": initiative["tags"], "stewards": initiative["stewards"],
                         "members": initiative["members"], **data})


class _Initiative(Schema):
    initiative_id = fields.String(required=True)
    community_id = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.String(required=True)
    tags = fields.List(fields.String(), required=True)
    stewards = fields.List(fields.String(), required=True)
    members = fields.List(fields.String(), required=True, metadata={"description": "stewards and contributors"})


@events.type("initiative.proposed", "A member proposed an initiative; they are its steward.")
class InitiativeProposed(_Initiative):
    goal = fields.String(required=True)
    proposed_by = fields.String(required=True)


@events.type("initiative.updated", "An initiative's title, goal or tags changed.")
class InitiativeUpdated(_Initiative):
    changed = fields.List(fields.String(), required=True)
    updated_by = fields.String(required=True)


class _StatusChanged(_Initiative):
    previous_status = fields.String(required=True)
    changed_by = fields.String(required=True)


@events.type("initiative.started", "A proposed initiative became active.")
class InitiativeStarted(_StatusChanged):
    pass


@events.type("initiative.paused", "An active initiative was paused.")
class InitiativePaused(_StatusChanged):
    pass


@events.type("initiative.resumed", "A paused initiative is active again.")
class InitiativeResumed(_StatusChanged):
    pass


@events.type("initiative.completed", "An initiative was completed: with an outcome (a knowledge draft) or a reason for none.")
class InitiativeCompleted(_StatusChanged):
    outcome_kind = fields.String(required=True, allow_none=True)
    outcome_title = fields.String(required=True, allow_none=True)
    artifact_id = fields.String(required=True, allow_none=True)
    no_outcome = fields.String(required=True, allow_none=True)


@events.type("initiative.abandoned", "An initiative was abandoned, with the reason.")
class InitiativeAbandoned(_StatusChanged):
    reason = fields.String(required=True)


class _Member(_Initiative):
    user_id = fields.String(required=True)


@events.type("initiative.member_joined", "Someone joined an initiative (as a contributor, or a steward by hand-over).")
class MemberJoined(_Member):
    role = fields.String(required=True)
    added_by = fields.String(required=True, allow_none=True, metadata={"description": "none when the platform passed it on"})


@events.type("initiative.member_left", "Someone left an initiative: by choice, removed by a steward, or on leaving the community.")
class MemberLeft(_Member):
    reason = fields.String(required=True, metadata={"description": "left, removed or left_community"})
    removed_by = fields.String(required=True, allow_none=True)


@events.type("initiative.member_role_changed", "A steward made someone a steward or a contributor.")
class MemberRoleChanged(_Member):
    role = fields.String(required=True)
    changed_by = fields.String(required=True)


@events.type("initiative.linked", "An artifact or a workshop of the community was linked to an initiative.")
class InitiativeLinked(_Initiative):
    kind = fields.String(required=True)
    linked_id = fields.String(required=True)
    linked_title = fields.String(required=True)
    linked_by = fields.String(required=True)


@events.type("initiative.update_posted", "A progress note was posted on an initiative.")
class UpdatePosted(_Initiative):
    update_id = fields.String(required=True)
    author = fields.String(required=True)


class _Milestone(_Initiative):
    milestone_id = fields.String(required=True)
    milestone_title = fields.String(required=True)
    due_on = CalendarDay(required=True)


@events.type("milestone.added", "A milestone was added to an initiative.")
class MilestoneAdded(_Milestone):
    added_by = fields.String(required=True)


@events.type("milestone.completed", "A milestone was done.")
class MilestoneCompleted(_Milestone):
    done_by = fields.String(required=True)


@events.type("milestone.due", "A milestone not yet done is due tomorrow (sent once, the day before).")
class MilestoneDue(_Milestone):
    pass


class _Decision(_Initiative):
    decision_id = fields.String(required=True)
    question = fields.String(required=True)
    closes_at = EventTime(required=True)


@events.type("decision.opened", "A steward asked an initiative's members to decide a question.")
class DecisionOpened(_Decision):
    opened_by = fields.String(required=True)


@events.type("decision.voted", "A member took (or changed) a position on an open decision.")
class DecisionVoted(_Decision):
    user_id = fields.String(required=True)
    position = fields.String(required=True)
    previous_position = fields.String(required=True, allow_none=True)


@events.type("decision.closing", "A decision closes within a day (sent once).")
class DecisionClosing(_Decision):
    pass


class Tally(Schema):
    agree = fields.Integer(required=True)
    disagree = fields.Integer(required=True)
    abstain = fields.Integer(required=True)


@events.type("decision.closed", "A decision's time for votes is over; its tally is final.")
class DecisionClosed(_Decision):
    tally = fields.Nested(Tally, required=True)


@events.type("decision.decided", "A steward recorded what was decided.")
class DecisionDecided(_Decision):
    statement = fields.String(required=True)
    review_on = CalendarDay(required=True, allow_none=True)
    decided_by = fields.String(required=True)


@events.type("decision.review_due", "A decision's review day has come: the stewards are asked to review it.")
class DecisionReviewDue(_Decision):
    statement = fields.String(required=True)
    review_on = CalendarDay(required=True)
