"""Fine-tuning token classifiers for NER (needs the ``train`` extra: torch, transformers, accelerate)."""

from ilner.training.config import TrainConfig, load_config
from ilner.training.experiments import run_experiment
from ilner.training.trainer import RunResult, run_training

__all__ = ["RunResult", "TrainConfig", "load_config", "run_experiment", "run_training"]
