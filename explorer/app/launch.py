"""Start the Streamlit app: `gnc-explorer app` (or `python -m explorer app`).

The app's scripts (app.py, views/, .streamlit/config.toml) sit at the root of a checkout, where
`streamlit run app.py` starts them; a wheel carries a copy of them in explorer/app/bundle/ (see setup.py).
Streamlit runs in a child process, so importing this module never imports streamlit.
"""

from __future__ import annotations

import importlib.util
import signal
import subprocess
import sys
import threading
import tomllib
from importlib import resources
from pathlib import Path

BUNDLE = "bundle"  # folder of explorer/app that holds the app's scripts in an installed wheel


class AppNotFound(RuntimeError):
    """Neither an installed copy of the app's scripts nor a checkout around the package was found."""


def app_dir() -> Path:
    """The folder holding app.py, views/ and .streamlit/config.toml.

    The copy installed with the package comes first; from a checkout (or an editable install) it is the
    checkout's root.
    """
    bundle = Path(str(resources.files("explorer.app") / BUNDLE))
    checkout = Path(__file__).resolve().parents[2]
    for folder in (bundle, checkout):
        if (folder / "app.py").is_file() and (folder / "views").is_dir():
            return folder
    raise AppNotFound(f"the app's scripts (app.py, views/) are neither in {bundle} nor in {checkout}")


def config_flags(folder: Path) -> list[str]:
    """The app's .streamlit/config.toml as `streamlit run` flags.

    Streamlit reads that file only from the current folder; passing it as flags applies it wherever the
    command is started. Flags given later on the command line override these.
    """
    path = folder / ".streamlit" / "config.toml"
    if not path.is_file():
        return []
    flags = []
    for section, options in tomllib.loads(path.read_text()).items():
        for key, value in options.items():
            text = str(value).lower() if isinstance(value, bool) else str(value)
            flags.append(f"--{section}.{key}={text}")
    return flags


def command(streamlit_args: list[str]) -> list[str]:
    """The `python -m streamlit run` command line for the app, user flags last."""
    folder = app_dir()
    return [sys.executable, "-m", "streamlit", "run", str(folder / "app.py"), *config_flags(folder),
            *streamlit_args]


def run(streamlit_args: list[str]) -> int:
    """Run the app in the foreground until Streamlit exits; returns its exit status."""
    if importlib.util.find_spec("streamlit") is None:
        raise AppNotFound("streamlit is not installed: pip install -r requirements.txt")
    process = subprocess.Popen(command(streamlit_args))
    # A SIGTERM sent to this launcher (a service manager stopping it) must stop the server, not orphan it.
    forwards = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: process.send_signal(signum)) if forwards else None
    try:
        return process.wait()
    except KeyboardInterrupt:
        # Ctrl-C reaches Streamlit too (same process group); let it shut down before returning.
        return process.wait()
    finally:
        if forwards:
            signal.signal(signal.SIGTERM, previous)
