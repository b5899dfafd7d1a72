"""Waiting for what arrives by message: the one polling helper every test uses."""
import time


def until(probe, timeout=10, interval=0.05, what=None):
    """The first truthy result of ``probe()``, asked every ``interval`` seconds.

    Fails the test (AssertionError) when nothing truthy came within ``timeout`` seconds,
    saying ``what`` was awaited and what ``probe()`` last returned.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what or 'the condition'} was not met within {timeout} s "
                                 f"(last: {result!r})")
        time.sleep(interval)
