"""The transcript: one's credits in total, by community and by domain, within a date range, and
the same as CSV ("Download CSV")."""
import datetime

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _

from web.forms import Refused
from web.parts import api, parts

blueprint = Blueprint("transcript", __name__, url_prefix="/transcript")


def _range():
    """(the API's query, the form's values, refusal) of the date range asked for."""
    query, form, wrong = {}, {}, {}
    for name in ("from", "to"):
        value = request.args.get(name, "").strip()
        form[name] = value
        if value:
            try:
                day = datetime.date.fromisoformat(value)
            except ValueError:
                wrong[name] = _("Enter a date as year-month-day, like 2026-03-31")
                continue
            moment = datetime.datetime.combine(day, datetime.time.min if name == "from" else datetime.time.max,
                                               tzinfo=datetime.timezone.utc)
            query[name] = moment.isoformat()
    return query, form, Refused(fields=wrong) if wrong else None


@blueprint.get("")
def transcript():
    query, form, refused = _range()
    found = parts(transcript=lambda: api().get("/v1/me/transcript", **query)) if not refused else {"transcript": None}
    return render_template("transcript.html", section="transcript", transcript=found["transcript"], form=form,
                           refused=refused), 400 if refused else 200


@blueprint.get("/transcript.csv")
def csv():
    query, _form, refused = _range()
    answer = api().request("GET", "/v1/me/transcript", params=query if not refused else None, accept="text/csv")
    return Response(answer.content, mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=transcript.csv"})
