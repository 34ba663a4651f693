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


# Which subpackages each layer of the library may import: lower layers never reach up.
ALLOWED = {
    "core": {"core"},
    "imaging": {"core", "imaging"},
    "toy": {"core", "imaging", "toy"},
    "priors": {"core", "imaging", "priors"},
    "problems": {"core", "imaging", "problems"},
    "ct": {"core", "imaging", "priors", "problems", "ct"},
    "figures": {"core", "imaging", "toy", "figures"},
    "app": {"core", "imaging", "toy", "priors", "problems", "ct", "app"},
    "bench": {"core", "imaging", "toy", "priors", "problems", "ct", "figures", "bench"},
}


def _explorer_imports(path: pathlib.Path, top_level_only: bool = False) -> list[tuple[int, str]]:
    """(line, module) of every `explorer.*` module a library file imports (relative imports resolved)."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    package = parts[:-1]
    tree = ast.parse(path.read_text(), filename=str(path))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = []
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ((base,) if base else ()))
            if base.split(".")[0] != "explorer":
                continue
            # `from explorer.core import schedules` imports the module explorer.core.schedules.
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                where = ROOT / pathlib.Path(*candidate.split("."))
                is_module = where.with_suffix(".py").exists() or (where / "__init__.py").exists()
                found.append((node.lineno, candidate if is_module else base))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "explorer"]
    return found


def test_no_layer_of_the_library_imports_a_higher_one():
    offenders = []
    for path in (ROOT / "explorer").rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        if len(parts) < 3:  # explorer/cli.py, explorer/__main__.py, explorer/__init__.py: the top may use all
            continue
        layer = parts[1]
        for line, module in _explorer_imports(path):
            target = module.split(".")[1] if "." in module else ""
            if target not in ALLOWED[layer]:
                offenders.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert offenders == []


def test_library_modules_import_no_cycle():
    """Imports between library modules form no cycle, counting the ones made inside functions (a late import
    hides a cycle from Python, not from the design). Package faces (`__init__.py`) only hand names on."""
    graph: dict[str, set[str]] = {}
    for path in (ROOT / "explorer").rglob("*.py"):
        if path.name == "__init__.py":
            continue
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        graph[name] = {m for _, m in _explorer_imports(path) if m != name}
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in graph.get(node, ()):
            if nxt not in graph:
                continue
            if state.get(nxt) == 1:
                raise AssertionError(" -> ".join(trail + [node, nxt]))
            if nxt not in state:
                visit(nxt, trail + [node])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])


def test_page_scripts_are_not_in_a_pages_folder():
    """Streamlit auto-discovers a pages/ folder beside the entry script when a fresh server's first visit is a
    deep link, bypassing app.py's navigation; the page scripts live in views/ instead."""
    assert not (ROOT / "pages").exists()
    assert "views/" in (ROOT / "app.py").read_text() and "pages/" in (ROOT / "app.py").read_text()
