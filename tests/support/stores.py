"""Reading the platform's stores from a test, to check that a refused request changed nothing."""
from commonplace.outbox import strip_outbox
from commonplace.registry import services

# Each service's own records (not its copies of others' data, not its bookkeeping), as registered.
RECORDS = {process.name: process.records for process in services()}


def snapshot(store):
    """Every record of every service, without the outbox's bookkeeping (which a relay changes as
    it claims and publishes), comparable with ``==``."""
    return {(service, name): sorted(
        repr(sorted(strip_outbox(document).items()))
        for document in store[service][name].find())
        for service, names in RECORDS.items() for name in names}
