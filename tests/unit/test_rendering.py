"""Bodies are rendered once, when written, within a budget: the shapes that stalled the
knowledge service are refused with a reason or rendered, never left to cost seconds on read."""
import random

import pytest

from commonplace.errors import Unprocessable

from services.knowledge.diffs import unified_diff
from commonplace.rendering import MAX_NESTING, nesting_depth, plain_text, render_or_escape, rendered

TOO_DEEP = {
    "nested lists of raw HTML": "<ul>" * 51_200,
    "nested divs": "<div>" * 40_000,
    "nested quotes": ">" * 100_000 + " deep",
    "nested Markdown lists": "".join("  " * depth + "- item\n" for depth in range(150)),
}
LINEAR = {
    "a run of image openers": "![" * 102_400,
    "a run of brackets": "[" * 102_400,
    "unclosed links": "[a](" * 50_000,
    "emphasis openers": "*a" * 100_000,
    "a table of 5,000 columns": "|" + "a|" * 5_000 + "\n|" + "-|" * 5_000 + "\n" + ("|" + "b|" * 5_000 + "\n") * 20,
    "50,000 table rows": "|a|b|\n|-|-|\n" + "|c|d|\n" * 40_000,
    "divs 100 deep, side by side": ("<div>" * 100 + "x" + "</div>" * 100) * 200,
    "unclosed paragraphs": "<p>para " * 20_000,
}


@pytest.mark.parametrize("shape", TOO_DEEP)
def test_a_body_nested_past_the_budget_is_refused_saying_why(shape):
    with pytest.raises(Unprocessable) as refused:
        rendered(TOO_DEEP[shape])
    assert f"more than {MAX_NESTING} levels" in refused.value.message and "body" in refused.value.fields


@pytest.mark.parametrize("shape", LINEAR)
def test_costly_looking_bodies_within_the_budget_render(shape):
    html = rendered(LINEAR[shape])
    assert html and nesting_depth(html) <= MAX_NESTING


def test_ordinary_nesting_and_pasted_html_are_rendered():
    lists = "".join("  " * depth + "- item\n" for depth in range(12))
    assert rendered(lists).count("<ul>") == 12
    assert rendered("<p>one<p>two<ul><li>a<li>b</ul>") == "<p>one</p><p>two</p><ul><li>a</li><li>b</li></ul>\n"
    assert nesting_depth("<b><div></b></div><br><img src=x />") == 2


def test_what_was_stored_before_the_budget_is_shown_escaped():
    shown = render_or_escape("<div>" * 200 + "<script>x</script>")
    assert shown.startswith("<pre>&lt;div&gt;") and "<script>" not in shown
    assert plain_text(rendered("Plan *ahead* &amp; <b>now</b>")) == "Plan ahead & now\n"


def _patched(a, diff):
    """``a`` with ``diff`` (unified) applied, as ``patch`` would."""
    out, at = [], 0
    for line in diff.splitlines(keepends=True)[2:]:
        if line.startswith("@@"):
            start, _, count = line.split()[1][1:].partition(",")
            start = int(start) - (0 if count == "0" else 1)  # an empty range names the line before
            out += a[at:start]
            at = start
        elif line.startswith(" "):
            out.append(a[at])
            at += 1
        elif line.startswith("-"):
            at += 1
        else:
            out.append(line[1:])
    return out + a[at:]


@pytest.mark.parametrize("seed", range(30))
def test_a_diff_turns_the_older_text_into_the_newer(seed):
    rng = random.Random(seed)
    a = [f"line {rng.randrange(12)}\n" for _ in range(rng.randrange(0, 40))]
    b = [line for line in a if rng.random() > 0.3] + [f"new {n}\n" for n in range(rng.randrange(3))]
    rng.shuffle(b[: len(b) // 2])
    for budget in (0.5, 0.0):  # exact, and the coarse diff an exhausted budget gives
        diff = unified_diff(a, b, "a", "b", budget)
        assert _patched(a, diff) == b, diff


def test_a_diff_over_its_budget_is_coarser_but_true():
    a = [f"line {n}\n" for n in range(20_000)]
    b = [line for n, line in enumerate(a) if n % 2] + [line for n, line in enumerate(a) if not n % 2]
    b = ["a new first line\n", *b, "a new last line\n"]
    diff = unified_diff(a, b, "a", "b", 0.2)
    assert _patched(a, diff) == b
    assert diff.count("\n@@ -") == 1  # the one hunk of the changed middle
    assert unified_diff(a, a, "a", "b", 0.2) == ""
