"""Installing what the platform's own scripts need from Debian's packages, when they are missing.

``make run`` and ``make test`` set themselves up on a fresh machine: RabbitMQ (``commonplace
broker``) and, for the browser tests, Chromium and its driver (``commonplace browser``). When a
program is missing and the process runs as root where apt-get exists, its package is installed;
otherwise the error says what to install.
"""
import os
import shutil
import subprocess


class Missing(RuntimeError):
    """A program the command needs is not installed, and cannot be installed from here."""


def install(packages, why, say=print):
    """Install Debian ``packages`` with apt-get (as root), or raise ``Missing`` saying what to do."""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise Missing(f"{why}: install {' and '.join(packages)} (Debian/Ubuntu: "
                      f"`sudo apt-get install -y {' '.join(packages)}`)")
    say(f"installing {', '.join(packages)} with apt-get (a minute or two)…")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(["apt-get", "install", "-y", "-q", *packages], check=True, env=env, stdout=subprocess.DEVNULL)
