"""SCIM 2.0 (RFC 7643, RFC 7644) for an organisation's directory: scim2-server's handler (the
protocol: routes, validation, PATCH, filters, discovery, error bodies) over a storage of the
identity service's own collections (``DirectoryStorage``).

Users are the organisation's people: a user's ``userName`` is the claim the organisation's
provider names people by (``claims.user``, ``sub`` unless configured otherwise), so the user
``ann`` of acme is the person ``acme:ann`` whether they came from the directory or signed in
first. Making a user inactive, or deleting it, deprovisions the person; making it active again
reactivates them. Groups' members are users; their changes say who joined and who left.

Passwords are never stored (the platform signs no one in with one). Entra ID's removal of group
members by value is taken as the removals RFC 7644 has (``_removals_by_value``). Filters are evaluated by
scim2-models on the organisation's resources, narrowed first by the indexed ``eq`` tests a
filter's top ``and`` holds (``userName``, ``externalId``, ``displayName``): a directory's lookup
before each create costs an index read, not a scan.
"""
import datetime
import json
import uuid

from scim2_models import (AuthenticationScheme, Bulk, ChangePassword, ETag, Filter, InvalidFilterException, InvalidValueException,
                          Meta, NotFoundException, Patch, PreconditionFailedException, SCIMException,
                          ScimProvider, ServiceProviderConfig, Sort, UniquenessException)
from scim2_models.path import CompareOperator, Comparison, LogicalExpr
from scim2_server.handler import ScimHandler
from scim2_server.requests import ScimRequest
from scim2_server.service import ScimService
from scim2_server.storage import ScimStorage, SearchPage
from scim2_server.utils import load_default_resource_types, load_default_schemas

from services.identity import domain

MAX_RESULTS = 200
LONGEST_FILTER = 2000
DEEPEST_FILTER = 20  # parentheses

CONFIG = ServiceProviderConfig(
    documentation_uri=None,
    patch=Patch(supported=True), bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
    filter=Filter(supported=True, max_results=MAX_RESULTS), change_password=ChangePassword(supported=False),
    sort=Sort(supported=False), etag=ETag(supported=True),
    authentication_schemes=[AuthenticationScheme(
        type=AuthenticationScheme.Type.oauthbearertoken, name="API key",
        description="An API key of the organisation's with the scim scope, as a bearer token")],
)
PROVIDER = ScimProvider.from_discovery(load_default_schemas().values(), load_default_resource_types().values(),
                                       config=CONFIG)
SERVICE = ScimService(PROVIDER)
INDEXED = {"User": {"username": ("user_name_key", str.casefold), "externalid": ("external_id", None)},
           "Group": {"displayname": ("display_name_key", str.casefold), "externalid": ("external_id", None)}}


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def serve(store, organisation, method, path, query, headers, body, base_url, now=_now):
    """(status, headers, body) of one SCIM request for ``organisation``'s directory; what it
    changes is written to ``store`` as it goes."""
    if method.upper() == "PATCH":
        body = _removals_by_value(body)
    request = ScimRequest(method=method, base_url=base_url, path=path, query=query, headers=headers, body=body)
    try:
        _check_filter(query.get("filter"))
        response = ScimHandler(SERVICE, DirectoryStorage(store, organisation, now)).handle(request)
    except SCIMException as exception:
        response = SERVICE.error_response(exception)
    return int(response.status), dict(response.headers), response.body


def _removals_by_value(body):
    """Entra ID removes group members with ``{"op": "Remove", "path": "members", "value":
    [{"value": id}]}``, which RFC 7644 §3.5.2.2 does not have (a remove selects with a filter in
    its path): such an operation becomes one ``members[value eq "id"]`` removal per member."""
    try:
        patch = json.loads(body)
    except ValueError:
        return body  # the handler says what is wrong with it
    operations = patch.get("Operations") if isinstance(patch, dict) else None
    if not isinstance(operations, list):
        return body
    rewritten = []
    for operation in operations:
        if (isinstance(operation, dict) and str(operation.get("op", "")).lower() == "remove"
                and str(operation.get("path", "")).lower() == "members" and isinstance(operation.get("value"), list)
                and all(isinstance(m, dict) and isinstance(m.get("value"), str) for m in operation["value"])):
            rewritten += [{"op": "remove", "path": f"members[value eq {json.dumps(m['value'])}]"}
                          for m in operation["value"]]
        else:
            rewritten.append(operation)
    return json.dumps({**patch, "Operations": rewritten}).encode()


def _check_filter(text):
    """A filter too long or too deep to evaluate at little cost is refused before it is parsed."""
    if text is not None and (len(text) > LONGEST_FILTER or text.count("(") > DEEPEST_FILTER):
        raise InvalidFilterException(detail=f"filters are at most {LONGEST_FILTER} characters and "
                                            f"{DEEPEST_FILTER} parentheses deep")


def _version():
    return f'W/"{uuid.uuid4().hex[:16]}"'


def _text(resource):
    return resource.model_dump_json(scim_ctx=None, exclude_none=True, by_alias=True)


class DirectoryStorage(ScimStorage):
    """Users and groups of one organisation, in the identity service's collections."""

    def __init__(self, store, organisation, now):
        self.store, self.organisation, self.now = store, organisation, now

    # reading

    def _model(self, resource_type):
        return PROVIDER.model_for(resource_type.name)

    def _loaded(self, resource_type, document):
        return self._model(resource_type).model_validate_json(document["resource"])

    def _stored(self, resource_type, resource_id):
        if resource_type.name == "User":
            document = self.store.directory_user(self.organisation, resource_id)
        else:
            document = self.store.directory_group(self.organisation, resource_id)
        if document is None:
            raise NotFoundException(detail=f"no {resource_type.name} {resource_id}")
        return document

    def get(self, resource_type, resource_id, *, response_parameters=None):
        return self._loaded(resource_type, self._stored(resource_type, resource_id))

    def search(self, resource_types, search_request, *, position=None):
        found = []
        for resource_type in resource_types:
            query = _narrowing(search_request.filter, INDEXED[resource_type.name])
            documents = (self.store.directory_users_where if resource_type.name == "User"
                         else self.store.directory_groups_where)(self.organisation, query)
            for document in sorted(documents, key=lambda d: (d["created"], d["_id"])):
                resource = self._loaded(resource_type, document)
                try:
                    matches = search_request.filter is None or search_request.filter.match(resource)
                except (TypeError, ValueError) as error:  # a comparison its values cannot make
                    raise InvalidFilterException(detail=str(error)) from None
                if matches:
                    found.append(resource)
        start = search_request.start_index_0 or 0
        stop = None if search_request.count is None else start + search_request.count
        return SearchPage(len(found), found[start:stop])

    # writing

    def create(self, resource_type, resource):
        resource = resource.model_copy(deep=True)
        resource.id = uuid.uuid4().hex
        at = self.now()
        resource.meta = Meta(resource_type=resource_type.name, created=at, last_modified=at, version=_version())
        if resource_type.name == "User":
            return self._write_user(resource, None)
        return self._write_group(resource, None)

    def update(self, resource_type, resource, *, expected_version=None):
        stored = self._stored(resource_type, resource.id)
        if expected_version is not None and stored["version"] != expected_version:
            raise PreconditionFailedException(detail="the resource changed meanwhile")
        updated = type(resource).model_validate_json(_text(resource))
        before = self._loaded(resource_type, stored)
        updated.meta = before.meta.model_copy(update={"location": None, "last_modified": self.now(),
                                                      "version": _version()})
        if resource_type.name == "User":
            return self._write_user(updated, stored)
        return self._write_group(updated, stored)

    def delete(self, resource_type, resource_id, *, expected_version=None):
        stored = self._stored(resource_type, resource_id)
        if expected_version is not None and stored["version"] != expected_version:
            raise PreconditionFailedException(detail="the resource changed meanwhile")
        if resource_type.name == "User":
            self._forget_user(stored)
        else:
            before = self._people_of(stored["members"])
            self.store.drop_directory_group(resource_id, domain.group_changed(stored, before, [], deleted=True))

    # users are people

    def _write_user(self, resource, stored):
        resource.password = None
        person_id = domain.person_id(self.organisation, resource.user_name)
        document = {"_id": resource.id, "organisation": self.organisation, "user_name_key": resource.user_name.casefold(),
                    "external_id": resource.external_id, "active": resource.active is not False,
                    "person_id": person_id, "resource": _text(resource), "version": resource.meta.version,
                    "created": resource.meta.created}
        if stored is None:
            written = self.store.add_directory_user(document)
        else:
            written = self.store.replace_directory_user(document, stored["version"])
            if written is None:
                raise PreconditionFailedException(detail="the resource changed meanwhile")
        if not written:
            raise UniquenessException(detail=f"the userName {resource.user_name!r} is taken")
        if stored is not None and stored["person_id"] != person_id:
            self._deprovision(stored["person_id"], erase=False)  # renamed: another person now
        self._provision(person_id, resource)
        return resource

    def _provision(self, person_id, resource):
        emails = resource.emails or []
        email = next((e.value for e in emails if e.primary), None) or (emails[0].value if emails else None)
        name = resource.display_name or (resource.name.formatted if resource.name else None)
        stored = self.store.person(person_id)
        written, events, new = domain.directory_person(stored, self.organisation, resource.user_name,
                                                       name, email, resource.active is not False, self.now())
        if new:
            if not self.store.save_person(written, events):  # signed in meanwhile: theirs now
                return self._provision(person_id, resource)
        else:
            self.store.update_person(person_id, written, events)
        if not written.get("active", True):
            self._end_sessions(person_id)

    def _forget_user(self, stored):
        self.store.drop_directory_user(stored["_id"])
        for group in self.store.groups_with_member(stored["_id"]):
            kept = [m for m in group["members"] if m != stored["_id"]]
            self._write_group_document(group, kept)
        self._deprovision(stored["person_id"], erase=True)

    def _deprovision(self, person_id, erase):
        stored = self.store.person(person_id)
        if stored is None:
            return
        if erase:
            changes, events = domain.forget_person(stored, self.now())
        else:
            changes, events, _ = domain.directory_person(stored, self.organisation, stored["sub"], stored["name"],
                                                         stored["email"], False, self.now())
        self.store.update_person(person_id, changes, events)
        self._end_sessions(person_id)

    def _end_sessions(self, person_id):
        for key, changes, events in domain.end_sessions(self.store.live_sessions_of(person_id), self.now(),
                                                        "deprovisioned"):
            self.store.end_session(key, changes, events)

    # groups

    def _people_of(self, scim_ids):
        return [d["person_id"] for d in self.store.directory_users_by_id(self.organisation, scim_ids)]

    def _write_group(self, resource, stored):
        members = list(dict.fromkeys(m.value for m in resource.members or [] if m.value))
        known = {d["_id"] for d in self.store.directory_users_by_id(self.organisation, members)}
        unknown = [m for m in members if m not in known]
        if unknown:
            raise InvalidValueException(detail=f"no user {unknown[0]} in this directory")
        document = {"_id": resource.id, "organisation": self.organisation, "display_name": resource.display_name,
                    "display_name_key": (resource.display_name or "").casefold(), "external_id": resource.external_id,
                    "members": members,
                    "resource": _text(resource), "version": resource.meta.version, "created": resource.meta.created,
                    "deleted_at": None}
        before = self._people_of(stored["members"]) if stored else []
        events = domain.group_changed(document, before, self._people_of(members))
        if stored is None:
            self.store.add_directory_group(document, events)
        elif self.store.replace_directory_group(document, events, stored["version"]) is None:
            raise PreconditionFailedException(detail="the resource changed meanwhile")
        return resource

    def _write_group_document(self, group, members):
        """A group without the members its directory deleted."""
        model = PROVIDER.model_for("Group")
        resource = model.model_validate_json(group["resource"])
        resource.members = [m for m in resource.members or [] if m.value in members] or None
        document = {**group, "members": members, "resource": _text(resource), "version": _version()}
        self.store.replace_directory_group(document, [])


def _narrowing(scim_filter, indexed):
    """The store query the indexed ``eq`` tests at a filter's top ``and`` make (every resource
    it leaves out, the filter would too)."""
    if scim_filter is None:
        return {}
    node = scim_filter.ast
    terms = node.terms if isinstance(node, LogicalExpr) and node.op.value == "and" else [node]
    query = {}
    for term in terms:
        path = term.attr_path if isinstance(term, Comparison) else None
        if (path is not None and term.op == CompareOperator.eq and isinstance(term.value, str)
                and path.sub_attr is None and path.uri is None and path.attr.casefold() in indexed):
            field, fold = indexed[path.attr.casefold()]
            query[field] = fold(term.value) if fold else term.value
    return query
