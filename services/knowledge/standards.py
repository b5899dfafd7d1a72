"""Making an artifact a community's standard for a topic: the sequence of writes behind it.

The claim on the topic (``standards``, one per community and topic) is the truth, so it is
written first; the artifacts' ``standard`` fields follow it: the one it supersedes, then the new
one. A crash between the writes leaves the claim made and the fields behind, and repeating the
request (which ``domain.standardise`` recognises, the artifact holding the claim already)
writes the fields it missed. The rules and the events of each step come from ``domain``.
"""
from services.knowledge import domain


def standardise(store, artifact, community, actor, membership, topic, supersedes):
    """Make ``artifact`` the standard for ``topic`` in its community, in place of ``supersedes``."""
    key = domain.topic_key(topic)
    current = store.standard(community["_id"], key)
    claim_needed, standard, events = domain.standardise(
        artifact, community, actor, membership, topic, supersedes, current)
    if claim_needed:
        store.claim_standard(community["_id"], key, topic, artifact["_id"], current and current["artifact_id"])
    if standard["supersedes"]:
        old = store.artifact(standard["supersedes"])
        if old is not None:
            old_standard, old_events = domain.superseded(old, topic, artifact["_id"], actor)
            store.mark_standard(old["_id"], old_standard, old_events)
    store.mark_standard(artifact["_id"], standard, events)
    return store.artifact(artifact["_id"])
