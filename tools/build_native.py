"""Compile kb's search modules with mypyc (kb/native.py says why and how they are used).

    python tools/build_native.py [FOLDER]     # default: <venv>/kb-native; `make install` runs it

Fails (exit 1) without a C compiler or Python's headers; kb then runs its Python sources, which answer the same.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["KB_NATIVE"] = "0"  # the build imports nothing compiled

from kb import native  # noqa: E402


def missing() -> str:
    """What the compilation needs that this machine lacks (a C compiler, Python's headers), or ""."""
    import sysconfig

    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if not shutil.which(compiler):
        return f"no C compiler ({compiler})"
    if not (Path(sysconfig.get_paths()["include"]) / "Python.h").exists():
        return "no Python.h (the Python development headers)"
    return ""


def build(where: Path) -> None:
    """MODULES compiled into `where`, stamped with the sources as they were when the compilation began (an edit
    made meanwhile shows as a changed source)."""
    from mypyc.build import mypycify
    from setuptools import setup

    stamp = native.stamp()
    shutil.rmtree(where, ignore_errors=True)
    with tempfile.TemporaryDirectory() as work:
        os.chdir(ROOT)  # mypyc names the modules by their path from here
        extensions = mypycify(list(native.MODULES), opt_level="2", debug_level="0", separate=True,
                              target_dir=str(Path(work) / "c"))
        os.chdir(work)  # not the project's pyproject.toml: setuptools would read the package's own metadata
        setup(name="kb-native", ext_modules=extensions, script_args=[
            "--quiet", "build_ext", "--build-lib", str(where), "--build-temp", str(Path(work) / "o"), "--parallel", "2"])
    (where / native.STAMP).write_text(stamp, encoding="utf-8")


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(native.folder())
    if lacking := missing():
        shutil.rmtree(target, ignore_errors=True)
        print(f"kb: the search modules were not compiled ({lacking}); kb runs its Python sources", file=sys.stderr)
        raise SystemExit(1)
    try:
        build(target)
    except (Exception, SystemExit) as exc:  # setuptools exits on a compiler error
        shutil.rmtree(target, ignore_errors=True)
        print(f"kb: the search modules were not compiled ({exc}); kb runs its Python sources", file=sys.stderr)
        raise SystemExit(1) from None
    print(f"kb: search modules compiled into {target}")
