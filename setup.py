"""Build hook: the wheel carries the Streamlit app's scripts so that `gnc-explorer app` runs without a checkout.

The scripts stay at the checkout's root (`streamlit run app.py` starts them there); the build copies them into
explorer/app/bundle/, where explorer.app.launch looks first. Everything else about the package is in
pyproject.toml.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
BUNDLE = Path("explorer", "app", "bundle")


def app_files() -> list[Path]:
    """The app's scripts, relative to the checkout's root."""
    views = sorted(path.relative_to(ROOT) for path in (ROOT / "views").glob("*.py"))
    return [Path("app.py"), Path(".streamlit", "config.toml"), *views]


class BuildWithApp(build_py):
    """build_py that also copies the app's scripts into the built package."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install runs the checkout's own scripts
        for name in app_files():
            target = Path(self.build_lib) / BUNDLE / name
            self.mkpath(str(target.parent))
            self.copy_file(str(ROOT / name), str(target))


setup(cmdclass={"build_py": BuildWithApp})
