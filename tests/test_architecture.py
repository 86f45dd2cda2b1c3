"""The floor plan holds: SQL only in kb/index/, environment variables read only in kb/config.py, no
`if kind == ...` outside the registries, and functions and modules of a size a reader can hold."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "kb"
MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 300
# Modules that hold one concern a reader would not want split, with the reason.
LONG_MODULES: dict[str, str] = {}
# Where the environment is read, with the reason.
ENVIRONMENT_READERS = {
    "kb/config.py": "the one home of settings",
    "kb/native.py": "KB_NATIVE decides which modules load, before kb.config (which imports some of them) can",
}
SQL = re.compile(r"""["'](?:SELECT|INSERT|UPDATE|DELETE|CREATE|PRAGMA)\b""")


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_sql_is_written_only_in_kb_index():
    outside = [_name(p) for p in _modules() if not _name(p).startswith("kb/index/") and SQL.search(p.read_text(encoding="utf-8"))]
    assert not outside, f"SQL outside kb/index/: {outside}"


def test_the_environment_is_read_only_in_kb_config():
    readers = []
    for path in _modules():
        if _name(path) in ENVIRONMENT_READERS:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            # os.environ.get(...), os.environ[...] and os.getenv(...) read; setdefault configures a library
            if isinstance(node, ast.Attribute) and node.attr in ("get", "__getitem__") and "environ" in ast.unparse(node.value) or isinstance(node, ast.Subscript) and ast.unparse(node.value).endswith("environ") and isinstance(node.ctx, ast.Load) or isinstance(node, ast.Call) and ast.unparse(node.func).endswith("getenv"):
                readers.append(f"{_name(path)}:{node.lineno}")
    assert not readers, f"environment read outside kb/config.py: {readers}"


def test_no_module_asks_which_vector_kind_it_holds():
    asking = re.compile(r"""kind\s*[!=]=\s*["'](?:flat|ivf)["']""")
    offenders = [_name(p) for p in _modules() if not _name(p).startswith("kb/index/vectors/")
                 and asking.search(p.read_text(encoding="utf-8"))]
    assert not offenders, f"kind checks outside the vector registry: {offenders}"


def test_functions_and_modules_stay_small():
    long_functions, long_modules = [], []
    for path in _modules():
        text = path.read_text(encoding="utf-8")
        lines = text.count("\n")
        if lines > MAX_MODULE_LINES and _name(path) not in LONG_MODULES:
            long_modules.append(f"{_name(path)} ({lines} lines)")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                if size > MAX_FUNCTION_LINES:
                    long_functions.append(f"{_name(path)}:{node.lineno} {node.name} ({size} lines)")
    assert not long_functions, f"functions over {MAX_FUNCTION_LINES} lines: {long_functions}"
    assert not long_modules, f"modules over {MAX_MODULE_LINES} lines: {long_modules}"
