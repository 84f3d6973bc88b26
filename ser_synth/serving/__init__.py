"""SavedModels for TF Serving (core TF ops only: no tensorflow-io in an exported graph)."""

from ser_synth.serving.export import export_model, export_recognizer, export_synthesizer

__all__ = ["export_model", "export_recognizer", "export_synthesizer"]
