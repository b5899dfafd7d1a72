"""Document ids: new ones, and the ids of things that exist once per pair (a membership is one
per community and person; a registration one per workshop and person)."""
from bson import ObjectId


def new_id():
    """A new, unique, roughly time-ordered id (an ObjectId's hex)."""
    return str(ObjectId())


def pair_id(first, second):
    """The id of what exists once per ``(first, second)``: ``"<first>:<second>"``."""
    return f"{first}:{second}"
