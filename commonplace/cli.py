"""``commonplace``: run a service, mint a token, seed a demo, rebuild a search index, make sure
a broker answers."""
import warnings

# eventlet warns on import that it is deprecated; nameko 2 runs on it, and operators reading
# the logs can do nothing about it.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated", category=DeprecationWarning)

import eventlet  # noqa: E402

eventlet.monkey_patch()  # before kombu, pymongo and threading are imported

import argparse  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402

from commonplace import broker, config, logs, registry, storage, tokens  # noqa: E402


def run(args):
    from greenlet import GreenletExit
    from nameko.runners import ServiceRunner
    from prometheus_client import start_http_server

    settings = config.load()
    logs.configure(settings["LOG_LEVEL"])
    processes = [registry.named(name) for name in args.services]
    if settings["JWT_SECRET"] == config.DEFAULT_JWT_SECRET and "gateway" in args.services:
        logging.getLogger("commonplace").warning(
            "JWT_SECRET is the built-in development secret: anyone can mint tokens. "
            "Set JWT_SECRET before exposing this gateway.")
    if settings["METRICS_PORT"]:
        start_http_server(settings["METRICS_PORT"], addr=settings["METRICS_ADDRESS"])
    for process in processes:
        if process.has_store:
            try:
                storage.hold_embedded_store(settings["STORE_URI"], process.name)
            except storage.StoreInUse as error:
                sys.exit(str(error))
    runner = ServiceRunner(settings)
    for process in processes:
        if process.kind == "nameko":
            runner.add_service(process.service_class())
    servers = [_serve_wsgi(process, settings) for process in processes if process.kind == "wsgi"]

    def shut_down(signum, frame):
        for server in servers:
            server.kill()
        eventlet.spawn_n(runner.stop)

    signal.signal(signal.SIGTERM, shut_down)
    signal.signal(signal.SIGINT, shut_down)
    runner.start()
    runner.wait()
    for server in servers:
        try:
            server.wait()
        except GreenletExit:
            pass  # stopped by SIGTERM


def _serve_wsgi(process, settings):
    """Serve ``process``'s WSGI application at its address in a green thread (and its heartbeat)."""
    from eventlet import wsgi

    from commonplace import probe

    host, _, port = settings[process.address_setting].rpartition(":")
    application = process.service_class()(settings)
    listener = eventlet.listen((host or "127.0.0.1", int(port)))
    eventlet.spawn_n(probe.beat, process.name)
    log = logging.getLogger(f"commonplace.{process.name}")
    log.info("%s serving on http://%s", process.name, settings[process.address_setting])
    return eventlet.spawn(wsgi.server, listener, application, log=log, log_output=False)


def token(args):
    settings = config.load()
    if not args.org and "platform_admin" not in args.role:
        sys.exit("--org is required unless --role platform_admin")
    if args.platform:
        print(_identity(settings, "issue_token", user_id=args.user, organisation=args.org, roles=args.role,
                        name=args.name, email=args.email)["token"])
        return
    signed = tokens.mint(
        settings["JWT_SECRET"], settings["JWT_ISSUER"], user_id=args.user,
        organisation=args.org, roles=args.role, name=args.name, email=args.email,
        lifetime=datetime.timedelta(hours=args.hours),
    )
    print(signed)


def _request(method, url, token_, body=None):
    request = urllib.request.Request(
        url, method=method, data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token_}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def seed(args):
    """Create a demo organisation and community through the running gateway; safe to repeat."""
    settings = config.load()
    base = f"http://{settings['GATEWAY_ADDRESS']}"
    deadline = time.monotonic() + args.wait
    while True:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            sys.exit(f"the platform did not become healthy at {base} within {args.wait} s")
        time.sleep(0.5)
    mint = lambda **kw: tokens.mint(settings["JWT_SECRET"], settings["JWT_ISSUER"], **kw)  # noqa: E731
    admin = mint(user_id="admin", roles=["platform_admin"], name="Platform admin")
    member = mint(user_id="ada", organisation=args.org, name="Ada", email="ada@example.org")
    _request("POST", f"{base}/v1/organisations", admin, {"name": "Demo organisation", "slug": args.org})
    status, listed = _request("GET", f"{base}/v1/communities?q=Practice+leads", member)
    if status == 200 and not listed["items"]:
        _request("POST", f"{base}/v1/communities", member, {
            "name": "Practice leads", "domain": "leadership", "visibility": "organisation",
            "description": "Leads of every practice, comparing notes.", "tags": ["demo"],
        })
    print(f"Commonplace is running. Open {settings['PUBLIC_URL']} in your browser and sign in with the "
          f"development sign-in: organisation {args.org!r}, user 'ada' (or any name).")
    print(f"The HTTP API: {base}   description: {base}/openapi.json   health: {base}/healthz   metrics: {base}/metrics")
    print(f"Demo organisation {args.org!r}; a member token for user 'ada' of it:\n  {member}")
    print("A platform admin token (12 h):")
    print(admin)


def catalogue(args):
    from commonplace import catalogue as documents

    registry.load_catalogues()
    print(json.dumps(documents.asyncapi(), indent=2) if args.asyncapi else documents.markdown(), end="")


def dead_letters(args):
    from commonplace import dead_letters as letters

    amqp_uri = config.load()["AMQP_URI"]
    if args.replay:
        moved = letters.replay(amqp_uri, args.replay, limit=args.limit)
        print(f"moved {moved} message(s) from {args.replay}.dead back to {args.replay}")
        return
    services = [process.service_class() for process in registry.processes()]
    for queue in letters.handler_queues(services):
        print(f"{letters.depth(amqp_uri, queue + '.dead'):8}  {queue}.dead")


def probe(args):
    """Exit 0 when this host's process of the service answers that it can serve (readiness), or
    with ``--alive`` that its loop is turning (liveness); 1 otherwise."""
    from commonplace import probe as probes

    process = registry.named(args.service)
    if args.alive:
        ready, status = probes.alive(args.service)
    elif process.kind == "wsgi":
        ready, status = probes.ask_http(config.load()[process.address_setting], timeout=args.timeout)
    else:
        ready, status = probes.ask(config.load()["AMQP_URI"], args.service, timeout=args.timeout)
    print(f"{args.service}: {status}")
    sys.exit(0 if ready else 1)


def reindex(args):
    """Ask every replica of the service to rebuild its search index from the store (the shared
    one is rebuilt by one of them), then wait until one reports an index built since the request."""
    from nameko.exceptions import RpcTimeout
    from nameko.standalone.events import event_dispatcher
    from nameko.standalone.rpc import ClusterRpcProxy

    from commonplace.errors import ServiceOutage

    settings = config.load()
    asked = datetime.datetime.now(datetime.timezone.utc)
    event_dispatcher(settings)("operations", registry.reindex_request(args.service),
                               {"requested_at": asked.isoformat()})
    deadline = time.monotonic() + args.wait
    with ClusterRpcProxy(settings, timeout=10) as cluster:
        while time.monotonic() < deadline:
            try:
                status = getattr(cluster, args.service).search_status()
            except (ServiceOutage, RpcTimeout):
                time.sleep(1)  # busy building, or its engine is: asked again until the deadline
                continue
            if datetime.datetime.fromisoformat(status["built_at"]) >= asked:
                kept = "one index, shared by every replica" if status.get("shared") else "each replica rebuilds its own"
                print(f"{args.service}: search index rebuilt, {status['artifacts']} artifacts "
                      f"in {status['build_seconds']} s ({kept})")
                return
            time.sleep(0.2)
    sys.exit(f"no {args.service} replica reported a rebuilt index within {args.wait} s")


def _identity(settings, method, **kwargs):
    """The identity service's answer to ``method``, asked over the broker."""
    from nameko.standalone.rpc import ServiceRpcProxy

    try:
        with ServiceRpcProxy("identity", settings, timeout=10) as identity:
            return getattr(identity, method)(**kwargs)
    except Exception as failure:  # noqa: BLE001 - said as it is, to an operator at a terminal
        sys.exit(f"the identity service did not answer: {type(failure).__name__}: {failure}")


def keys(args):
    settings = config.load()
    if args.action == "rotate":
        made = _identity(settings, "rotate_signing_key", algorithm=args.algorithm)
        print(f"new {made['alg']} key {made['kid']}: published now, signs from {made['active_from']}")
        return
    for key in _identity(settings, "signing_keys")["keys"]:
        print(f"{key['kid']}  {key['alg']}")


def ensure_broker(args):
    settings = config.load()
    try:
        broker.ensure(settings["AMQP_URI"], say=lambda text: print(text, file=sys.stderr))
    except broker.BrokerUnavailable as error:
        sys.exit(str(error))


def ensure_browser(args):
    from commonplace import browser

    try:
        browser.ensure(say=lambda text: print(text, file=sys.stderr))
    except browser.Unavailable as error:
        sys.exit(str(error))


def mongo(args):
    """Serve the MongoDB wire protocol (FerretDB) in the foreground, building it first if need be."""
    from commonplace import wire_server

    try:
        program = wire_server.command(args.listen, args.data, args.postgresql)
    except wire_server.Unavailable as error:
        sys.exit(str(error))
    if args.build_only:
        print(f"FerretDB {wire_server.FERRETDB_VERSION}: {program[0]}")
        return
    print(f"serving the MongoDB wire protocol on {args.listen}, data in {args.postgresql or args.data} "
          f"(STORE_URI=mongodb://{args.listen}); Ctrl-C stops it", file=sys.stderr)
    os.execv(program[0], program)


def search(args):
    """Serve OpenSearch in the foreground, fetching it first if need be."""
    from commonplace import search_server

    try:
        home = search_server.installed(say=lambda text: print(text, file=sys.stderr))
        if args.install_only:
            print(f"OpenSearch {search_server.VERSION}: {home}")
            return
        command, environment = search_server.prepare(args.data, args.port)
    except search_server.Unavailable as error:
        sys.exit(str(error))
    print(f"serving OpenSearch on 127.0.0.1:{args.port}, data in {args.data} "
          f"(SEARCH_URI=http://127.0.0.1:{args.port}); Ctrl-C stops it", file=sys.stderr)
    os.execvpe(command[0], command, environment)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="commonplace", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    run_parser = commands.add_parser("run", help="run services in this process")
    run_parser.add_argument("services", nargs="+", choices=registry.names())
    run_parser.set_defaults(func=run)

    token_parser = commands.add_parser("token", help="print a signed bearer token (a development token unless --platform)")
    token_parser.add_argument("--user", required=True)
    token_parser.add_argument("--org")
    token_parser.add_argument("--role", action="append", default=[], choices=list(tokens.ROLES))
    token_parser.add_argument("--name")
    token_parser.add_argument("--email")
    token_parser.add_argument("--hours", type=float, default=12)
    token_parser.add_argument("--platform", action="store_true",
                              help="a platform token, signed by the identity service's key, for ACCESS_TOKEN_MINUTES "
                                   "(accepted where development tokens are not)")
    token_parser.set_defaults(func=token)

    keys_parser = commands.add_parser("keys", help="the platform's signing keys: list them, or rotate")
    keys_parser.add_argument("action", choices=["list", "rotate"])
    keys_parser.add_argument("--algorithm", choices=["RS256", "ES256"], help="of the new key (default SIGNING_ALGORITHM)")
    keys_parser.set_defaults(func=keys)

    seed_parser = commands.add_parser("seed", help="create a demo organisation and community")
    seed_parser.add_argument("--org", default="demo")
    seed_parser.add_argument("--wait", type=float, default=60)
    seed_parser.set_defaults(func=seed)

    catalogue_parser = commands.add_parser("catalogue", help="print the catalogue of domain events")
    catalogue_parser.add_argument("--asyncapi", action="store_true", help="as AsyncAPI JSON")
    catalogue_parser.set_defaults(func=catalogue)

    letters_parser = commands.add_parser(
        "dead-letters", help="list dead-letter queues with their depth, or replay one")
    letters_parser.add_argument("--replay", metavar="QUEUE",
                                help="move QUEUE.dead's messages back to the handler queue QUEUE")
    letters_parser.add_argument("--limit", type=int, help="move at most this many")
    letters_parser.set_defaults(func=dead_letters)

    reindex_parser = commands.add_parser(
        "reindex", help="rebuild a service's search index from its store (each replica's, or the shared one)")
    reindex_parser.add_argument("service", choices=[p.name for p in registry.processes() if p.search_index])
    reindex_parser.add_argument("--wait", type=float, default=120, help="seconds to wait for the rebuild")
    reindex_parser.set_defaults(func=reindex)

    probe_parser = commands.add_parser(
        "probe", help="ask this machine's process of a service, over the broker, whether it can serve")
    probe_parser.add_argument("service", choices=registry.names())
    probe_parser.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for the answer")
    probe_parser.add_argument("--alive", action="store_true",
                              help="only whether the process lives (its heartbeat), asking no broker: liveness")
    probe_parser.set_defaults(func=probe)

    broker_parser = commands.add_parser("broker", help="make sure a RabbitMQ broker answers")
    broker_parser.set_defaults(func=ensure_broker)

    browser_parser = commands.add_parser(
        "browser", help="make sure the browser tests' Chromium, its driver and axe-core are here")
    browser_parser.set_defaults(func=ensure_browser)

    mongo_parser = commands.add_parser(
        "mongo", help="serve a MongoDB wire-protocol server (FerretDB, built with Go once) in the foreground")
    mongo_parser.add_argument("--listen", default="127.0.0.1:27017", help="host:port to serve on")
    mongo_parser.add_argument("--data", default="var/mongo", help="directory of its data (SQLite files)")
    mongo_parser.add_argument("--postgresql", metavar="URL",
                              help="keep the data in this PostgreSQL database instead (postgres://user:password@host/db)")
    mongo_parser.add_argument("--build-only", action="store_true", help="build it if need be, and stop")
    mongo_parser.set_defaults(func=mongo)

    search_parser = commands.add_parser(
        "search", help="serve OpenSearch (fetched from Maven Central once) in the foreground, for SEARCH_URI")
    search_parser.add_argument("--port", type=int, default=9200, help="port on 127.0.0.1 to serve on")
    search_parser.add_argument("--data", default="var/search", help="directory of its data, logs and configuration")
    search_parser.add_argument("--install-only", action="store_true", help="fetch it if need be, and stop")
    search_parser.set_defaults(func=search)

    args = parser.parse_args(argv)
    try:
        args.func(args)
    except config.Invalid as error:
        parser.exit(2, f"commonplace: {error}\n")


if __name__ == "__main__":
    main()
