"""What the browser tests need, set up by the project itself: Debian's Chromium and its driver
(installed with apt-get when missing and running as root), and axe-core, the accessibility
checker, from the npm registry into ``var/tools/`` (once; the tests inject its script).

Nothing downloads a browser build: Chromium is the system's.
"""
import os
import pathlib
import shutil
import subprocess

from commonplace import packages

AXE_VERSION = "4.10.3"
TOOLS = pathlib.Path("var/tools")
CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
DRIVER = "/usr/bin/chromedriver"


class Unavailable(RuntimeError):
    """The browser, its driver or axe-core is missing and cannot be had from here."""


def chromium():
    """The system Chromium's path, installing Debian's packages first when it is missing."""
    found = next((path for path in CHROMIUM if os.path.exists(path)), None)
    if found and os.path.exists(DRIVER):
        return found
    try:
        packages.install(["chromium", "chromium-driver"], "The browser tests need Chromium and its driver")
    except packages.Missing as missing:
        raise Unavailable(str(missing)) from None
    return next(path for path in CHROMIUM if os.path.exists(path))


def axe_script(root=None):
    """The text of ``axe.min.js`` (axe-core ``AXE_VERSION``), fetched with npm the first time."""
    folder = (pathlib.Path(root) if root else pathlib.Path.cwd()) / TOOLS / f"axe-core-{AXE_VERSION}"
    script = folder / "node_modules" / "axe-core" / "axe.min.js"
    if not script.exists():
        if not shutil.which("npm"):
            raise Unavailable("The accessibility checks need axe-core, which npm installs: install Node.js and npm")
        folder.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", str(folder),
                               f"axe-core@{AXE_VERSION}"], capture_output=True, text=True)
        if done.returncode or not script.exists():
            raise Unavailable(f"npm could not install axe-core@{AXE_VERSION}: {done.stderr[-500:]}")
    return script.read_text()


def ensure(say=print):
    """Make sure Chromium, its driver and axe-core are here; say where."""
    path = chromium()
    axe_script()
    say(f"browser: {path} with {DRIVER}; axe-core {AXE_VERSION}")
