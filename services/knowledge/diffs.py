"""Unified diffs of two texts' lines, within a time budget.

difflib's matcher is quadratic on some shapes (20,000 lines whose every other line moved took
17 s, holding up the whole process). Here it works on the lines between the common start and
end, and gives up once ``budget_seconds`` have passed: the diff is then coarser, the whole
changed middle as one hunk (every old line removed, every new one added) — still a true diff,
that ``patch`` applies, only not the smallest. Hunks are formatted as ``diff -u`` does. The
work runs in a thread of its own, so the process's other requests go on meanwhile.
"""
import difflib
import time

from eventlet import tpool


class _OverBudget(Exception):
    pass


class _BudgetedMatcher(difflib.SequenceMatcher):
    """difflib's matcher, stopping once its deadline has passed (it looks for the longest match
    in ever smaller ranges, each look bounded by its range)."""

    def __init__(self, a, b, deadline):
        self.deadline = deadline
        super().__init__(None, a, b, autojunk=False)

    def find_longest_match(self, *args, **kwargs):
        if time.monotonic() > self.deadline:
            raise _OverBudget()
        return super().find_longest_match(*args, **kwargs)


def _common_ends(a, b):
    """(lines common to both starts, lines common to both ends, after the start)."""
    start, most = 0, min(len(a), len(b))
    while start < most and a[start] == b[start]:
        start += 1
    end = 0
    while end < most - start and a[-1 - end] == b[-1 - end]:
        end += 1
    return start, end


def _opcodes(a, b, budget_seconds):
    start, end = _common_ends(a, b)
    a_mid, b_mid = a[start:len(a) - end], b[start:len(b) - end]
    try:
        middle = _BudgetedMatcher(a_mid, b_mid, time.monotonic() + budget_seconds).get_opcodes()
    except _OverBudget:
        middle = [("replace", 0, len(a_mid), 0, len(b_mid))]
    codes = [("equal", 0, start, 0, start)] if start else []
    codes += [(tag, i1 + start, i2 + start, j1 + start, j2 + start)
              for tag, i1, i2, j1, j2 in middle if (i1, j1) != (i2, j2)]
    if end:
        codes.append(("equal", len(a) - end, len(a), len(b) - end, len(b)))
    return codes or [("equal", 0, 0, 0, 0)]


def unified_diff(a, b, fromfile, tofile, budget_seconds, context=3):
    """``diff -u`` of the line lists ``a`` and ``b`` (each line with its newline), as one text."""
    return tpool.execute(_unified_diff, a, b, fromfile, tofile, budget_seconds, context)


def _unified_diff(a, b, fromfile, tofile, budget_seconds, context):
    grouping = difflib.SequenceMatcher(None, (), ())
    grouping.opcodes = _opcodes(a, b, budget_seconds)  # grouped into hunks as difflib does
    out = []
    for group in grouping.get_grouped_opcodes(context):
        if not out:
            out += [f"--- {fromfile}\n", f"+++ {tofile}\n"]
        first, last = group[0], group[-1]
        out.append(f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@\n")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out += [" " + line for line in a[i1:i2]]
                continue
            out += ["-" + line for line in a[i1:i2]]
            out += ["+" + line for line in b[j1:j2]]
    return "".join(out)


def _range(start, stop):
    """A hunk's range as ``diff -u`` writes it (difflib's own rule)."""
    beginning, length = start + 1, stop - start
    if length == 1:
        return f"{beginning}"
    if not length:
        beginning -= 1
    return f"{beginning},{length}"
