"""Small helpers shared across subpackages: atomic writes, seeding, thread settings, config checks."""

from __future__ import annotations

import os
import random
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def ensure_folder(path: str | os.PathLike, *, target: str | os.PathLike | None = None) -> Path:
    """Create folder ``path`` and its parents (existing ones are fine) and return it.
    ``target`` (default ``path``) is what the error messages say cannot be written.

    Raises
    ------
    OutputPathError
        ``path`` or one of its parents is a file, or the folder cannot be created.
    """
    from ser_synth.exceptions import OutputPathError

    path = Path(path)
    target = str(path if target is None else target)
    for p in (path, *path.parents):
        if p.exists():
            if not p.is_dir():
                raise OutputPathError(f"cannot write to {target!r}: {str(p)!r} is a file, not a folder")
            break
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputPathError(f"cannot write to {target!r}: cannot create folder {str(path)!r} ({exc.strerror or exc})") from None
    return path


def check_file_target(path: str | os.PathLike) -> Path:
    """``path`` as a file to (over)write: its folder is created; an existing folder at ``path``
    raises :class:`~ser_synth.exceptions.OutputPathError`."""
    from ser_synth.exceptions import OutputPathError

    path = Path(path)
    if path.is_dir():
        raise OutputPathError(f"cannot write file {str(path)!r}: it is a folder")
    ensure_folder(path.parent, target=path)
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` through a temp file in the same folder and an atomic rename."""
    return atomic_write_bytes(path, text.encode())


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temp file in the same folder and an atomic rename."""
    path = check_file_target(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; give the usual file mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


@contextmanager
def atomic_directory(path: str | os.PathLike):
    """Yield a temp folder beside ``path``; on success it replaces ``path`` (old contents removed).

    A crash while writing leaves the previous ``path`` untouched. A file at ``path`` is never
    replaced: it raises :class:`~ser_synth.exceptions.OutputPathError`.
    """
    from ser_synth.exceptions import OutputPathError

    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputPathError(f"cannot write folder {str(path)!r}: a file of that name exists")
    ensure_folder(path.parent, target=path)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp.", dir=path.parent))
    os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp creates 0700; give the usual folder mode
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if path.exists():
        old = path.with_name(f".{path.name}.old.{os.getpid()}")
        os.replace(path, old)
    os.replace(tmp, path)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def dataclass_from_dict(cls, d, *, nested=None):
    """Build the frozen config dataclass ``cls`` from a mapping (or pass an instance through).

    ``None`` gives the defaults; unknown keys and values of the wrong type raise
    :class:`ConfigError` naming them; JSON/YAML lists become tuples; keys in ``nested`` are
    built with that class's ``from_dict``.
    """
    import dataclasses
    from collections.abc import Mapping

    from ser_synth.exceptions import ConfigError

    if d is None:
        return cls()
    if isinstance(d, cls):
        return d
    if not isinstance(d, Mapping):
        raise ConfigError(f"{cls.__name__} expects a mapping, got {type(d).__name__}")
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = set(d) - known
    if unknown:
        raise ConfigError(f"unknown {cls.__name__} keys {sorted(unknown)}; expected {sorted(known)}")
    nested = nested or {}
    kwargs = {k: nested[k].from_dict(v) if k in nested else tuple(v) if isinstance(v, list) else v for k, v in d.items()}
    try:
        return cls(**kwargs)
    except TypeError as exc:  # a value of the wrong type reaching a comparison or len()
        raise ConfigError(f"bad {cls.__name__} value in {dict(d)!r}: {exc}") from None


def read_saved_folder(path, *, model_file: str, config_file: str, format_version: int, kind: str) -> tuple:
    """Check a folder written by a facade's ``save`` -> (path, parsed JSON metadata).

    :class:`ModelError` names the folder when a file is missing or the format is another version.
    """
    import json

    from ser_synth.exceptions import ModelError

    path = Path(path)
    if not (path / model_file).is_file() or not (path / config_file).is_file():
        raise ModelError(f"{str(path)!r} is not a saved {kind} (needs {model_file} and {config_file})")
    meta = json.loads((path / config_file).read_text())
    if meta.get("format_version") != format_version:
        raise ModelError(f"{str(path)!r} has format_version {meta.get('format_version')!r}; this ser_synth reads {format_version}")
    return path, meta


class DictConfig:
    """Mixin of the frozen config dataclasses: ``to_dict`` / ``from_dict`` (see :func:`dataclass_from_dict`)."""

    def to_dict(self) -> dict:
        import dataclasses

        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d):
        return dataclass_from_dict(cls, d)


def set_seed(seed: int) -> None:
    """Seed Python, NumPy, TensorFlow and Keras."""
    import keras
    import numpy as np

    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)


def bidirectional(rnn_cls, units: int, name: str):
    """``keras.layers.Bidirectional`` of ``rnn_cls(units, return_sequences=True)`` with both
    directions built here.

    Left alone, Bidirectional makes its backward layer by serialising the forward one; while a
    model loads, Keras' object-sharing cache can hand back another layer's config (object ids
    get reused), and a second model load in one process failed with "Forward layer and
    backward layer should have different go_backwards value".
    """
    import keras

    return keras.layers.Bidirectional(rnn_cls(units, return_sequences=True),
                                      backward_layer=rnn_cls(units, return_sequences=True, go_backwards=True), name=name)


def check_fields(config, names, rule: str) -> None:
    """Validate dataclass fields by ``rule``; :class:`ConfigError` names the class, field and value.

    ``rule``: "positive int", "int >= 0", "> 0" or ">= 0".
    """
    from ser_synth.exceptions import ConfigError

    tests = {
        "positive int": lambda v: not isinstance(v, bool) and isinstance(v, int) and v > 0,
        "int >= 0": lambda v: not isinstance(v, bool) and isinstance(v, int) and v >= 0,
        "> 0": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0,
        ">= 0": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0,
    }
    article = "a " if rule == "positive int" else ("an " if rule.startswith("int") else "")
    for name in names:
        v = getattr(config, name)
        if not tests[rule](v):
            raise ConfigError(f"{type(config).__name__}.{name} must be {article}{rule}, got {v!r}")

