"""Dynamic batching: requests that arrive together are tagged in one forward pass.

Each request becomes a ``Job`` on the batcher's queue. One worker task takes the first job, waits
at most ``max_wait`` seconds for more (never past ``max_texts`` texts), and tags the jobs of each
model, input kind and O penalty together in a worker thread: the tagger sorts their windows by
length, so a batch of many short requests costs about one forward pass. Tagging runs off the
event loop, so the service answers ``/health`` while a big request is tagged. ``max_wait=0``
turns batching off: one forward pass a request (the baseline of benchmarks/serve.py).
"""

from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field


@dataclass
class Job:
    """One request's inputs: raw ``texts`` or pre-tokenised ``tokens``, for one model."""

    model: object  # ServedModel
    texts: Sequence[str] | None = None
    tokens: Sequence[Sequence[str]] | None = None
    o_penalty: float | None = None
    future: asyncio.Future = field(default=None, repr=False)

    @property
    def size(self) -> int:
        return len(self.texts if self.texts is not None else self.tokens)

    def key(self) -> tuple:
        return (self.model.name, self.texts is None, self.o_penalty)


class Batcher:
    """Gathers jobs for up to ``max_wait`` seconds and tags them together, one batch at a time."""

    def __init__(self, max_wait: float = 0.005, max_texts: int = 256):
        self.max_wait = max_wait
        self.max_texts = max_texts
        self.batches = 0  # forward passes run (for /health and the benchmark)
        self._queue: asyncio.Queue[Job] = asyncio.Queue()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ilner-tagging")
        self._worker: asyncio.Task | None = None

    def start(self) -> None:
        self._worker = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Finish the jobs already queued, then stop."""
        if self._worker is not None:
            await self._queue.join()
            self._worker.cancel()
            self._worker = None
        self._executor.shutdown(wait=True)

    async def tag(self, job: Job) -> list:
        """The job's results (``Tagged``, one per input), once its batch is tagged."""
        job.future = asyncio.get_running_loop().create_future()
        await self._queue.put(job)
        return await job.future

    async def _run(self) -> None:
        while True:
            jobs = [await self._queue.get()]
            if self.max_wait > 0:
                await self._gather(jobs)
            try:
                await self._tag_all(jobs)
            finally:
                for _ in jobs:
                    self._queue.task_done()

    async def _gather(self, jobs: list[Job]) -> None:
        """Add jobs that arrive within ``max_wait`` of the first, up to ``max_texts`` texts."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.max_wait
        size = jobs[0].size
        while size < self.max_texts:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            try:
                job = await asyncio.wait_for(self._queue.get(), remaining)
            except asyncio.TimeoutError:  # TimeoutError itself from Python 3.11
                break
            jobs.append(job)
            size += job.size

    async def _tag_all(self, jobs: list[Job]) -> None:
        groups: dict[tuple, list[Job]] = defaultdict(list)
        for job in jobs:
            groups[job.key()].append(job)
        loop = asyncio.get_running_loop()
        for group in groups.values():
            try:
                results = await loop.run_in_executor(self._executor, _tag_group, group)
            except Exception as error:  # noqa: BLE001 - handed to the requests, which answer 500
                for job in group:
                    if not job.future.done():
                        job.future.set_exception(error)
                continue
            self.batches += 1
            for job, result in zip(group, results):
                if not job.future.done():  # a client that went away cancelled its future
                    job.future.set_result(result)


def _tag_group(group: list[Job]) -> list[list]:
    """Tag the jobs of one model, kind and O penalty in one call; split the results per job."""
    first = group[0]
    tagger = first.model.tagger
    if first.texts is not None:
        tagged = tagger(list(itertools.chain.from_iterable(job.texts for job in group)), o_penalty=first.o_penalty)
    else:
        tagged = tagger.tag_tokens(list(itertools.chain.from_iterable(job.tokens for job in group)),
                                   o_penalty=first.o_penalty)
    out, begin = [], 0
    for job in group:
        out.append(tagged[begin:begin + job.size])
        begin += job.size
    return out
