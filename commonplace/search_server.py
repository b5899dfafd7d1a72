"""OpenSearch for tests and local runs: the search engine knowledge uses where ``SEARCH_URI`` is set.

``commonplace search`` fetches OpenSearch's minimal distribution once from Maven Central (the
``integ-test-zip``, checked against its pinned SHA-512) into ``var/tools/``, adds the
``analysis-common`` module to it (the analyzers knowledge's index uses: lowercase and ASCII
folding, a pattern tokenizer), and serves it; ``make search`` runs it in the foreground on
127.0.0.1:9200 with its data under ``var/search/``, and the search suite gives its test run one
of its own. It needs Java 17 or newer (``JAVA_HOME``, or ``java`` on ``PATH``).

OpenSearch refuses to run as root: run as root, the server runs as the unprivileged user
``nobody`` (uid 65534), and its data and logs belong to that user.
"""
import contextlib
import hashlib
import os
import pathlib
import shutil
import subprocess
import tempfile
import time
import urllib.request
import zipfile

import requests

from commonplace.wire_server import free_port

ROOT = pathlib.Path(__file__).resolve().parent.parent
VERSION = "2.19.6"
REPOSITORY = os.environ.get("MAVEN_REPOSITORY", "https://repo1.maven.org/maven2")
DISTRIBUTION = (f"{REPOSITORY}/org/opensearch/distribution/integ-test-zip/opensearch/{VERSION}/"
                f"opensearch-{VERSION}.zip")
DISTRIBUTION_SHA512 = ("8adbfaa13162b8d42b388ece6b39bfb7f1a349ab9c128d4eced78ba1dd43b5a1"
                       "0850b43b8aac19fa5ab11f4d5c355ddf6f6617514d6112b0936a1903005d1d36")
ANALYSIS_COMMON = f"{REPOSITORY}/org/opensearch/plugin/analysis-common/{VERSION}/analysis-common-{VERSION}.jar"
ANALYSIS_COMMON_SHA512 = ("83f826f36779b5e2e25a5b48d626284d3253463420aafb0bd917ec1801f8ec3f"
                          "50129fc3359fa073cb45b78630c416875a7071a505dc07354da77ab92a58d96d")
# The module's descriptor, as OpenSearch's full distribution ships it (the jar on Maven Central
# carries only the classes).
ANALYSIS_COMMON_DESCRIPTOR = f"""description=Adds "built in" analyzers to OpenSearch.
version={VERSION}
name=analysis-common
classname=org.opensearch.analysis.common.CommonAnalysisPlugin
java.version=11
opensearch.version={VERSION}
custom.foldername=
extended.plugins=
has.native.controller=false
"""
HOME = ROOT / "var" / "tools" / f"opensearch-{VERSION}"
UNPRIVILEGED = 65534  # nobody
HEAP = "256m"
START_TIMEOUT = 120


class Unavailable(Exception):
    """OpenSearch cannot be fetched or started here; the message says what to do."""


def _fetch(url, digest, target, say):
    say(f"fetching {url}")
    partial = target.with_suffix(target.suffix + ".part")
    try:
        with urllib.request.urlopen(url, timeout=60) as answer, open(partial, "wb") as out:
            shutil.copyfileobj(answer, out)
    except OSError as failure:
        partial.unlink(missing_ok=True)
        raise Unavailable(f"could not fetch {url}: {failure}") from None
    found = hashlib.sha512(partial.read_bytes()).hexdigest()
    if found != digest:
        partial.unlink()
        raise Unavailable(f"{url} is not the file this platform pinned (SHA-512 {found[:16]}…)")
    partial.rename(target)


def java_home():
    """Where Java is: ``JAVA_HOME``, else the one ``java`` on ``PATH`` belongs to."""
    if os.environ.get("JAVA_HOME"):
        return os.environ["JAVA_HOME"]
    java = shutil.which("java")
    if java is None:
        raise Unavailable("OpenSearch needs Java 17 or newer, and `java` is not on PATH "
                          "(Debian: openjdk-17-jre-headless), nor is JAVA_HOME set")
    return str(pathlib.Path(os.path.realpath(java)).parent.parent)


def installed(say=print):
    """OpenSearch's folder, fetched and put together first if this machine has not done it yet."""
    if (HOME / "bin" / "opensearch").exists():
        return HOME
    downloads = HOME.parent / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    archive = downloads / f"opensearch-{VERSION}.zip"
    if not archive.exists():
        _fetch(DISTRIBUTION, DISTRIBUTION_SHA512, archive, say)
    jar = downloads / f"analysis-common-{VERSION}.jar"
    if not jar.exists():
        _fetch(ANALYSIS_COMMON, ANALYSIS_COMMON_SHA512, jar, say)
    staging = HOME.with_name(HOME.name + ".part")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    with zipfile.ZipFile(archive) as unpacked:
        for member in unpacked.infolist():
            # The archive's one top folder is dropped; its files keep their modes (bin/ runs).
            relative = pathlib.Path(*pathlib.PurePosixPath(member.filename).parts[1:])
            if not relative.parts:
                continue
            target = staging / relative
            if member.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with unpacked.open(member) as source, open(target, "wb") as out:
                shutil.copyfileobj(source, out)
            os.chmod(target, (member.external_attr >> 16) & 0o777 or 0o644)
    module = staging / "modules" / "analysis-common"
    module.mkdir(parents=True)
    shutil.copy(jar, module / jar.name)
    (module / "plugin-descriptor.properties").write_text(ANALYSIS_COMMON_DESCRIPTOR)
    for path in [staging, *staging.rglob("*")]:  # readable by the unprivileged user that runs it
        os.chmod(path, os.stat(path).st_mode | (0o555 if path.is_dir() else 0o444))
    staging.rename(HOME)
    return HOME


def prepare(run_dir, port, heap=HEAP):
    """(command, environment) serving OpenSearch on 127.0.0.1:``port``, its configuration, data
    and logs under ``run_dir`` (owned by the unprivileged user when run as root)."""
    home = installed()
    run_dir = pathlib.Path(run_dir).resolve()
    conf = run_dir / "config"
    if not conf.exists():
        shutil.copytree(home / "config", conf)
        # The JVM's options name its GC log and heap dumps relative to OpenSearch's own folder,
        # where the unprivileged user may not write.
        options = conf / "jvm.options"
        options.write_text(options.read_text().replace("file=logs/", f"file={run_dir}/logs/")
                           .replace("HeapDumpPath=data", f"HeapDumpPath={run_dir}/data")
                           .replace("ErrorFile=logs/", f"ErrorFile={run_dir}/logs/"))
    for name in ("data", "logs", "tmp"):
        (run_dir / name).mkdir(parents=True, exist_ok=True)
    command = [str(home / "bin" / "opensearch"),
               "-E", "discovery.type=single-node", "-E", "network.host=127.0.0.1",
               "-E", f"http.port={port}", "-E", "transport.port=0",
               "-E", f"path.data={run_dir / 'data'}", "-E", f"path.logs={run_dir / 'logs'}",
               # A test machine's disk may be nearly full: indexes still take writes.
               "-E", "cluster.routing.allocation.disk.threshold_enabled=false"]
    environment = {**os.environ, "JAVA_HOME": java_home(), "OPENSEARCH_PATH_CONF": str(conf),
                   "OPENSEARCH_TMPDIR": str(run_dir / "tmp"),
                   "OPENSEARCH_JAVA_OPTS": f"-Xms{heap} -Xmx{heap}"}
    if os.geteuid() == 0:
        for path in [run_dir, *run_dir.rglob("*")]:
            os.chown(path, UNPRIVILEGED, UNPRIVILEGED)
        command = ["setpriv", f"--reuid={UNPRIVILEGED}", f"--regid={UNPRIVILEGED}", "--clear-groups", *command]
    return command, environment


def wait_until_serving(uri, process=None, timeout=START_TIMEOUT):
    deadline = time.monotonic() + timeout
    while True:
        if process is not None and process.poll() is not None:
            raise Unavailable(f"OpenSearch exited with {process.returncode} as it started")
        try:
            health = requests.get(f"{uri}/_cluster/health", params={"wait_for_status": "yellow", "timeout": "1s"},
                                  timeout=3)
            if health.status_code == 200:
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise Unavailable(f"OpenSearch did not answer at {uri} within {timeout} s")
        time.sleep(0.5)


class Server:
    """One OpenSearch on a free loopback port, its files in a folder of its own under the system's
    temporary folder (which the unprivileged user can reach, as it cannot most test folders),
    removed by ``close``; ``stop`` and ``start`` again (the outage tests) keep its data."""

    def __init__(self, log_path=None, heap=HEAP):
        self.run_dir = pathlib.Path(tempfile.mkdtemp(prefix="commonplace-search-"))
        self.log_path, self.heap = log_path, heap
        self.port = free_port()
        self.uri = f"http://127.0.0.1:{self.port}"
        self.process = None

    def start(self):
        command, environment = prepare(self.run_dir, self.port, self.heap)
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        self.process = subprocess.Popen(command, env=environment, stdout=log, stderr=log)
        try:
            wait_until_serving(self.uri, self.process)
        except Unavailable:
            self.stop()
            raise

    def stop(self):
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def close(self):
        self.stop()
        shutil.rmtree(self.run_dir, ignore_errors=True)


@contextlib.contextmanager
def running(log_path=None, heap=HEAP):
    """An OpenSearch of its own until the block ends; yields the ``Server`` (its ``uri``)."""
    server = Server(log_path, heap)
    try:
        server.start()
        yield server
    finally:
        server.close()
