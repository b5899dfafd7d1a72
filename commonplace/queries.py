"""Store queries built from parts.

A query's conditions go at its top level wherever they can rather than inside ``$and``: MongoDB
plans both alike, but a MongoDB wire server over PostgreSQL (FerretDB) serves only top-level
conditions from its indexes and reads the whole collection for an ``$and``.
"""


def _operators(condition):
    return isinstance(condition, dict) and bool(condition) and all(key.startswith("$") for key in condition)


def all_of(*clauses):
    """A query matching the documents every one of ``clauses`` matches."""
    merged, rest = {}, []
    for clause in clauses:
        for key, condition in clause.items():
            if key not in merged:
                merged[key] = condition
            elif (key != "$and" and _operators(merged[key]) and _operators(condition)
                  and not set(merged[key]) & set(condition)):
                merged[key] = {**merged[key], **condition}  # {"$gte": a} and {"$lt": b} on one field
            else:
                rest.append({key: condition})
    if rest:
        merged["$and"] = merged.get("$and", []) + rest
    return merged
