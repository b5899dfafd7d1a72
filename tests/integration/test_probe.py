"""Kubernetes' probes ask one process of a service, over the broker (``commonplace probe``)."""
import subprocess
import sys

from commonplace import probe
from services.membership.service import MembershipService


def test_a_running_process_answers_its_probe_and_a_stopped_one_does_not(containers, service_config):
    amqp_uri = service_config["AMQP_URI"]
    membership = containers(MembershipService)
    assert probe.ask(amqp_uri, "membership") == (True, "ok")
    ready, why = probe.ask(amqp_uri, "membership", host="another-pod", timeout=1)
    assert not ready and "did not answer within 1" in why

    membership.stop()
    ready, why = probe.ask(amqp_uri, "membership", timeout=1)
    assert not ready and "membership on" in why


def test_the_probe_command_exits_0_or_1(containers, service_config):
    containers(MembershipService)
    env = {"AMQP_URI": service_config["AMQP_URI"], "PATH": "/usr/bin:/bin"}
    answered = subprocess.run([sys.executable, "-m", "commonplace.cli", "probe", "membership"],
                              env=env, capture_output=True, text=True, timeout=60)
    assert (answered.returncode, answered.stdout.strip()) == (0, "membership: ok")
    silent = subprocess.run([sys.executable, "-m", "commonplace.cli", "probe", "events", "--timeout", "1"],
                            env=env, capture_output=True, text=True, timeout=60)
    assert silent.returncode == 1 and "did not answer" in silent.stdout


def test_without_a_broker_the_probe_fails_saying_so():
    ready, why = probe.ask("amqp://guest:guest@127.0.0.1:1/", "membership", timeout=1)
    assert not ready and "broker" in why


def test_liveness_is_the_process_heartbeat_and_asks_no_broker(containers, service_config):
    import os
    import time

    containers(MembershipService)
    env = {"AMQP_URI": "amqp://guest:guest@127.0.0.1:1/", "PATH": "/usr/bin:/bin"}  # no broker there
    alive = subprocess.run([sys.executable, "-m", "commonplace.cli", "probe", "membership", "--alive"],
                           env=env, capture_output=True, text=True, timeout=60)
    assert (alive.returncode, alive.stdout.strip()) == (0, "membership: alive")
    stopped = probe.heartbeat_file("a-stopped-service")
    stopped.touch()
    stale = time.time() - 120
    os.utime(stopped, (stale, stale))
    assert probe.alive("a-stopped-service", within=60) == (False, "a-stopped-service's last heartbeat was 120 s ago")
    stopped.unlink()
    assert probe.alive("a-stopped-service")[0] is False
