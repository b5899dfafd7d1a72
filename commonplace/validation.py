"""Loading input through a marshmallow schema, turning its errors into ``Invalid`` (400)."""
from marshmallow import ValidationError

from commonplace.errors import Invalid


def load(schema, data, *, partial=False):
    """``schema.load(data)``, raising ``Invalid`` with per-field messages when it fails."""
    if not isinstance(data, dict):
        raise Invalid("the body must be a JSON object", {"_schema": ["expected an object"]})
    try:
        return schema.load(data, partial=partial)
    except ValidationError as error:
        messages = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
        raise Invalid("the input is not valid", messages) from None
