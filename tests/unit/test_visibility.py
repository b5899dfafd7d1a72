"""Who may see a community, in its two forms: ``can_see`` of one community and ``visible_query``
over a store of them agree on generated communities, memberships and partnerships."""
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commonplace.actor import Actor
from commonplace.storage import connect
from commonplace.visibility import can_see, visible_query

ORGANISATIONS = ("acme", "globex", "initech")
STORE = connect("memory://visibility-property")["membership"]["communities"]

communities = st.lists(st.fixed_dictionaries({
    "organisation": st.sampled_from(ORGANISATIONS),
    "visibility": st.sampled_from(("public", "organisation", "private")),
    "partners": st.lists(st.sampled_from(ORGANISATIONS), max_size=2, unique=True),
}), min_size=1, max_size=8)
actors = st.builds(
    lambda organisation, roles: Actor(user_id=f"{organisation or ''}:ann", organisation=organisation, roles=roles),
    st.sampled_from(ORGANISATIONS + (None,)),
    st.sampled_from(((), ("org_admin",), ("platform_admin",))))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(communities=communities, actor=actors, data=st.data())
def test_the_query_finds_exactly_the_communities_can_see_lets_one_see(communities, actor, data):
    documents = [{"_id": f"c{n}", **community} for n, community in enumerate(communities)]
    member_of = data.draw(st.sets(st.sampled_from([d["_id"] for d in documents])))
    STORE.delete_many({})
    STORE.insert_many([dict(d) for d in documents])
    found = {d["_id"] for d in STORE.find(visible_query(actor, member_of))}
    seen = {d["_id"] for d in documents if can_see(d, actor, d["_id"] in member_of)}
    assert found == seen
