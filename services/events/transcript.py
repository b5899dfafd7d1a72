"""A transcript of professional-development credits, as CSV for spreadsheets and HR systems."""
import csv
import io

COLUMNS = ("workshop_id", "title", "community_id", "community", "domain", "starts_at", "credits",
           "kind", "pathway_id", "completed_at", "expires_at")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value):
    """A cell a spreadsheet shows as typed: text that would start a formula gets a leading
    apostrophe (OWASP's advice against CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def render_csv(transcript):
    """CSV text: one row per attended workshop and completed pathway, then a total row."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for item in transcript["items"]:
        writer.writerow([_cell(item.get(column)) for column in COLUMNS])
    writer.writerow(["total", "", "", "", "", "", transcript["total_credits"], "", "", "", ""])
    return out.getvalue()
