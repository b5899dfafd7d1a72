"""A transcript of professional-development credits, as CSV for spreadsheets and HR systems."""
import csv
import io

COLUMNS = ("workshop_id", "title", "community_id", "community", "domain", "starts_at", "credits")


def render_csv(transcript):
    """CSV text: one row per attended workshop, then a total row."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for item in transcript["items"]:
        writer.writerow([item.get(column) for column in COLUMNS])
    writer.writerow(["total", "", "", "", "", "", transcript["total_credits"]])
    return out.getvalue()
