"""A MongoDB wire-protocol server (FerretDB) for tests and local runs, where no MongoDB can be had.

``commonplace mongo`` builds it once with the Go toolchain from ``tools/ferretdb`` (FerretDB
pinned in its ``go.mod``), keeps the program under ``var/tools/`` so later runs start in a
second, and serves it; ``make mongo`` runs it in the foreground on 127.0.0.1:27017 with its data
under ``var/mongo/``, and ``make test-mongo`` gives each test platform one of its own.

Its data is in SQLite files by default; given a PostgreSQL URL (``commonplace mongo
--postgresql URL``, ``COMMONPLACE_TEST_POSTGRESQL`` for test platforms) it keeps them in
PostgreSQL instead, which serves equality filters from indexes where SQLite reads every document.
"""
import contextlib
import hashlib
import os
import pathlib
import shutil
import socket
import subprocess
import time

import pymongo

ROOT = pathlib.Path(__file__).resolve().parent.parent
SOURCE = ROOT / "tools" / "ferretdb"
FERRETDB_VERSION = "v1.24.2"  # as tools/ferretdb/go.mod pins it


def _source_digest():
    digest = hashlib.sha256()
    for path in sorted(SOURCE.glob("*.go")) + [SOURCE / "go.mod", SOURCE / "go.sum"]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


# Named after its source, so that a change to tools/ferretdb builds it again.
BINARY = ROOT / "var" / "tools" / f"ferretdb-{FERRETDB_VERSION}-{_source_digest()}" / "ferretdb"
START_TIMEOUT = 30


class Unavailable(Exception):
    """The server cannot be built or started here; the message says what to do."""


def binary(say=print):
    """The server's program, built first if this machine has not built it yet."""
    if BINARY.exists():
        return BINARY
    go = shutil.which("go")
    if go is None:
        raise Unavailable("the MongoDB wire-protocol server (FerretDB) is built with Go, and `go` is not on "
                          "PATH: install Go 1.26 or newer (https://go.dev/doc/install; Debian: golang-go), "
                          "or run against a MongoDB of your own with STORE_URI=mongodb://…")
    say(f"building FerretDB {FERRETDB_VERSION} with {go} (once; kept in {BINARY.parent})")
    BINARY.parent.mkdir(parents=True, exist_ok=True)
    built = subprocess.run([go, "build", "-o", str(BINARY), "."], cwd=SOURCE, capture_output=True, text=True,
                           env={**os.environ, "GOFLAGS": "-mod=mod"})
    if built.returncode != 0:
        BINARY.unlink(missing_ok=True)
        raise Unavailable(f"building FerretDB failed:\n{built.stderr[-3000:]}")
    return BINARY


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def command(address, data_dir, postgresql=None):
    """The command line that serves the wire protocol on ``address`` with its data in ``data_dir``
    (in the PostgreSQL database at ``postgresql``, when given)."""
    if postgresql:
        return [str(binary()), "-listen", address, "-postgresql", postgresql]
    pathlib.Path(data_dir).mkdir(parents=True, exist_ok=True)
    return [str(binary()), "-listen", address, "-sqlite", f"file:{pathlib.Path(data_dir).resolve()}/"]


def wait_until_serving(uri, process=None, timeout=START_TIMEOUT):
    deadline = time.monotonic() + timeout
    while True:
        if process is not None and process.poll() is not None:
            raise Unavailable(f"the wire server exited with {process.returncode} as it started")
        try:
            with pymongo.MongoClient(uri, serverSelectionTimeoutMS=500) as client:
                client.admin.command("ping")
                return
        except pymongo.errors.PyMongoError:
            if time.monotonic() > deadline:
                raise Unavailable(f"the wire server did not answer at {uri} within {timeout} s") from None
            time.sleep(0.1)


@contextlib.contextmanager
def running(data_dir, log_path=None, postgresql=None):
    """A server of its own on a free loopback port, its data in ``data_dir`` (or the PostgreSQL
    database at ``postgresql``), until the block ends; yields its ``mongodb://`` URI."""
    port = free_port()
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL
    process = subprocess.Popen(command(f"127.0.0.1:{port}", data_dir, postgresql), stdout=log, stderr=log)
    uri = f"mongodb://127.0.0.1:{port}/"
    try:
        wait_until_serving(uri, process)
        yield uri
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if log_path:
            log.close()
