"""Models shipped inside the package, looked up by name (no network access)."""

from __future__ import annotations

from pathlib import Path

from ser_synth.exceptions import ModelError

_ROOT = Path(__file__).resolve().parent


def available() -> list[str]:
    """Names of the shipped models."""
    return sorted(p.name for p in _ROOT.iterdir() if p.is_dir() and (p / "model.keras").is_file())


def pretrained_path(name: str) -> Path:
    """Folder of a shipped model; :class:`ModelError` lists the valid names otherwise."""
    path = _ROOT / str(name)
    if not (path / "model.keras").is_file():
        raise ModelError(f"no pretrained model named {name!r}; available: {', '.join(available()) or 'none'}")
    return path


def model_card(name: str) -> str:
    """The model card (Markdown) of a shipped model."""
    return (pretrained_path(name) / "MODEL_CARD.md").read_text()
