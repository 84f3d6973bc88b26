"""Models shipped inside the package, looked up by name (no network access)."""

from __future__ import annotations

from pathlib import Path

from ser_synth.exceptions import ModelError

_ROOT = Path(__file__).resolve().parent
_MODEL_FILES = ("model.keras", "prosodic.json", "fusion.json")  # Keras models; prosodic weights; a late fusion of others


def _is_model(path: Path) -> bool:
    return path.is_dir() and any((path / f).is_file() for f in _MODEL_FILES)


def available() -> list[str]:
    """Names of the shipped models."""
    return sorted(p.name for p in _ROOT.iterdir() if _is_model(p))


def pretrained_path(name: str) -> Path:
    """Folder of a shipped model; :class:`ModelError` lists the valid names otherwise."""
    path = _ROOT / str(name)
    if not _is_model(path):
        raise ModelError(f"no pretrained model named {name!r}; available: {', '.join(available()) or 'none'}")
    return path


def resolve_model(name_or_dir) -> Path:
    """A saved model folder as given, or else the folder of the shipped model of that name."""
    path = Path(name_or_dir)
    return path if path.is_dir() else pretrained_path(str(name_or_dir))


def model_card(name: str) -> str:
    """The model card (Markdown) of a shipped model."""
    return (pretrained_path(name) / "MODEL_CARD.md").read_text()
