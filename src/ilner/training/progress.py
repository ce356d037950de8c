"""Training progress: a live bar (step, loss, words/s, ETA) on a terminal, plain lines in logs/CI.

It shows what the training loop reports with each optimizer step; the loop keeps the loss itself
(a resumed run continues its epoch's mean loss)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable


class Progress:
    def __init__(self, total_steps: int, log: Callable[[str], None], enabled: bool = True):
        self.total = total_steps
        self.log = log
        self.enabled = enabled
        self.done = 0
        self.words = 0
        self.started = time.time()
        self.last_line = self.started
        self.label = ""
        self.resumed_at = 0
        self.bar = None
        if enabled and sys.stderr.isatty():
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn
            from rich.progress import Progress as RichProgress

            self.bar = RichProgress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[info]}"),
                TimeElapsedColumn(), TimeRemainingColumn(), transient=False,
            )
            self.task = self.bar.add_task("training", total=total_steps, info="")
            self.bar.start()

    def advance_to(self, step: int) -> None:
        self.done = self.resumed_at = step
        if self.bar:
            self.bar.update(self.task, completed=step)

    def epoch(self, epoch: int, epochs: int) -> None:
        self.label = f"epoch {epoch}/{epochs}"
        if self.bar:
            self.bar.update(self.task, description=self.label)

    def step(self, loss: float, words: int, learning_rate: float) -> None:
        """One optimizer step done, over ``words`` words; ``loss``: the epoch's mean loss so far."""
        self.done += 1
        self.words += words
        if not self.enabled:
            return
        elapsed = time.time() - self.started
        speed = self.words / elapsed if elapsed else 0.0
        info = f"loss {loss:.4f}  {speed:,.0f} words/s  lr {learning_rate:.2e}"
        if self.bar:
            self.bar.update(self.task, completed=self.done, info=info)
        elif time.time() - self.last_line >= 30 or self.done == self.total:
            self.last_line = time.time()
            eta = (self.total - self.done) * elapsed / max(1, self.done - self.resumed_at)
            self.log(f"{self.label} step {self.done}/{self.total}  {info}  ETA {eta:.0f} s")

    def close(self) -> None:
        if self.bar:
            self.bar.stop()
