"""The gate's decision: a small logistic model over the answerability signals, one per embedder.

A model's weights and threshold belong to the embedder identity recorded in the store (cosine
levels differ between models), so the table in gate_models.json is keyed by that identity. An
unknown identity (the tests' hash embedder, a new sentence-transformers model) gets the
lexical-only model, which uses no similarity at all; a question with no word in the passages'
script (an English question about Chinese documents) is judged by the embedder alone, when the
table has a cross-lingual model for it. bench/calibrate_gate.py fits the table by 2-fold
cross-validation over ncp-dev documents and writes it; bench/README.md shows the trade-off.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

from assistant.answer.signals import Signals

Kind = Literal["lexical", "crosslingual"]
FALLBACK = "*"  # the table's entry for embedders it does not know


@dataclass(frozen=True)
class GateModel:
    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    threshold: float  # answer when score >= threshold

    def score(self, signals: Signals) -> float:
        """Probability-like 0..1 score that the passages state the answer."""
        z = self.bias + sum(w * (signals.value(f) - m) / s for f, m, s, w in
                            zip(self.features, self.mean, self.scale, self.weights, strict=True))
        return 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))

    def to_json(self) -> dict[str, Any]:
        return {"features": list(self.features), "mean": list(self.mean),
                "scale": list(self.scale), "weights": list(self.weights), "bias": self.bias,
                "threshold": self.threshold}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GateModel:
        return cls(tuple(data["features"]), tuple(data["mean"]), tuple(data["scale"]),
                   tuple(data["weights"]), float(data["bias"]), float(data["threshold"]))


@cache
def table() -> dict[str, dict[str, GateModel]]:
    """identity → {"lexical": model, "crosslingual": model}, from gate_models.json."""
    raw = json.loads(resources.files("assistant.answer").joinpath("gate_models.json")
                     .read_text(encoding="utf-8"))
    return {identity: {kind: GateModel.from_json(m) for kind, m in models.items()}
            for identity, models in raw["models"].items()}


def model_for(identity: str, kind: Kind) -> GateModel | None:
    """The model calibrated for this embedder (the lexical fallback for an unknown one); None
    when nothing can judge this kind of question (cross-lingual with an unknown embedder)."""
    models = table().get(identity)
    if models is None:
        return table()[FALLBACK].get(kind)
    return models.get(kind)
