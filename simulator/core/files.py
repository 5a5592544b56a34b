"""Writing report files without losing or clobbering anything.

Every writer of ftroi (``Result.to_csv``, :func:`simulator.reports.export.write_xlsx_report`,
:func:`simulator.reports.html_report.write_html_report`, :func:`simulator.model.scenario.save_scenario`)
goes through :func:`write_files`:

* an existing file is replaced only when the caller asks (``overwrite=True``; ``--force`` on
  the command line); otherwise nothing at all is written and the message lists what exists;
* a symbolic link is never written through: a target that is a link is refused even with
  ``overwrite=True`` (replacing the link, or its target, is not what anyone asked for), and a
  directory's files must resolve inside that directory;
* each file is written to a temporary file in the same directory and renamed over the target
  (``os.replace``), so a reader sees the old file or the new one, never half of one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from .errors import InputError


def check_targets(paths: list[Path], *, overwrite: bool, what: str = "path",
                  inside: Path | None = None) -> None:
    """Refuse before any write: a target that is a symbolic link, a directory, outside
    ``inside`` (after resolving links), or an existing file without ``overwrite``."""
    existing = []
    for path in paths:
        if path.is_symlink():
            raise InputError(f"{what}: {path} is a symbolic link (to {os.readlink(path)}); "
                             f"ftroi never writes through a link: remove it or choose "
                             f"another path")
        if path.is_dir():
            raise InputError(f"{what}: {path} is a directory, not a file")
        if inside is not None:
            root = inside.resolve()
            if root not in path.resolve().parents:
                raise InputError(f"{what}: {path} resolves outside {inside}; ftroi writes "
                                 f"only inside the folder it was given")
        if path.exists():
            existing.append(path)
    if existing and not overwrite:
        names = ", ".join(str(p) for p in existing[:5]) + (" …" if len(existing) > 5 else "")
        raise InputError(f"{what}: {names} already exist{'s' if len(existing) == 1 else ''}; "
                         f"nothing was written (pass overwrite=True, or --force on the "
                         f"command line, to replace {'it' if len(existing) == 1 else 'them'})")


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_files(files: Mapping[Path, bytes | str], *, overwrite: bool = False,
                what: str = "path", inside: Path | None = None) -> list[Path]:
    """Write every ``path -> content`` (text is UTF-8) after checking all of them
    (:func:`check_targets`); returns the paths in order."""
    paths = [Path(p) for p in files]
    check_targets(paths, overwrite=overwrite, what=what, inside=inside)
    for path, content in zip(paths, files.values()):
        write_atomic(path, content.encode("utf-8") if isinstance(content, str) else content)
    return paths


def prepare_directory(directory: str | Path, *, what: str = "directory") -> Path:
    """``directory`` created if needed; refused when it exists as a file."""
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise InputError(f"{what}: {directory} exists and is not a directory")
    directory.mkdir(parents=True, exist_ok=True)
    return directory
