"""The events service's copy of pathway completions, for the transcript: pathway credits stand
beside workshop credits there. Fed by the learning service's ``completion.awarded`` (the credits,
once) and ``completion.renewed`` (new dates, no new credits); the expiry notices need nothing here.
"""
from commonplace.handlers import domain_event_handler
from services.events import domain

KEPT = ("commonplace.learning.completion.awarded", "commonplace.learning.completion.renewed")


class KeepsPathwayCredits:
    """A mixin of the events service: ``self.store`` keeps the copy (``pathway_credits``)."""

    @domain_event_handler("learning", "commonplace.learning.completion.*")
    def on_pathway_completion(self, event):
        if event["type"] in KEPT:
            self.store.keep_pathway_credit(domain.pathway_credit(event))
