"""The library never imports streamlit: checked in the source and in a fresh interpreter."""

import ast
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_no_streamlit_import_in_library_source():
    offenders = []
    for path in (ROOT / "explorer").rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n == "streamlit" or n.startswith("streamlit.") for n in names):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_importing_every_library_module_loads_no_streamlit():
    modules = sorted(
        ".".join(p.relative_to(ROOT).with_suffix("").parts)
        for p in (ROOT / "explorer").rglob("*.py")
        if p.name != "__main__.py"
    )
    code = "import importlib, sys\n" + "".join(f"importlib.import_module({m!r})\n" for m in modules)
    code += "assert 'streamlit' not in sys.modules, 'streamlit was imported'\nprint(len(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr


# Names whose use in a page could read or write files; pages take uploads as bytes and offer downloads as bytes.
FILE_ACCESS = {"open", "Path", "os", "shutil", "pickle", "load", "save", "savez", "loadtxt", "savetxt", "read_csv",
               "to_csv", "read_bytes", "write_bytes", "read_text", "write_text", "mkdir", "unlink", "remove"}


def test_pages_touch_no_files():
    """No page can be made to read or write a path: every file the app reads is a shipped asset, loaded by the
    library from a fixed location (weights: safetensors, never pickle)."""
    offenders = []
    for path in [ROOT / "app.py", *(ROOT / "views").glob("*.py")]:
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            name = None
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                modules = [a.name for a in node.names] + ([node.module] if isinstance(node, ast.ImportFrom) else [])
                name = next((m for m in modules if m and m.split(".")[0] in ("os", "shutil", "pickle", "pathlib")),
                            None)
            if name in FILE_ACCESS or (name and name.split(".")[0] in ("os", "shutil", "pickle", "pathlib")):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}")
    assert offenders == []


def test_nothing_in_the_library_unpickles():
    """Weights are safetensors; training checkpoints are read with torch.load(weights_only=True); no pickle."""
    offenders = []
    for path in (ROOT / "explorer").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                modules = [a.name for a in node.names] + ([node.module] if isinstance(node, ast.ImportFrom) else [])
                if any(m and m.split(".")[0] in ("pickle", "dill", "joblib") for m in modules):
                    offenders.append(f"{path.name}:{node.lineno} imports {modules}")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "load" \
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "torch":
                safe = any(k.arg == "weights_only" and isinstance(k.value, ast.Constant) and k.value.value is True
                           for k in node.keywords)
                if not safe:
                    offenders.append(f"{path.name}:{node.lineno} torch.load without weights_only=True")
    assert offenders == []
