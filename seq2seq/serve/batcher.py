"""Dynamic micro-batching: concurrent requests become one batched ``predict`` call on one model thread.

Requests arrive on the event loop; each becomes a ``Job`` on a queue. One worker thread owns the model: it
takes the oldest job, then keeps gathering jobs for up to ``max_wait_ms`` (or until ``max_batch`` inputs are
waiting, or no request is queued nor on its way in (being received and parsed): then nobody else is
coming and waiting would only add latency). Jobs with different decoding options go into separate
``predict`` calls; a request with a sampling ``seed`` runs alone, so its draws are the ones it would get
decoded alone.
Every job gets back exactly its own outputs, in its input order.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import queue
import threading
import time
from collections import defaultdict
from concurrent.futures import Future
from dataclasses import dataclass, field

log = logging.getLogger("seq2seq.serve")
_STOP = object()
_alone = itertools.count()


@dataclass
class Job:
    inputs: list
    decoding: dict
    future: Future = field(default_factory=Future)

    @property
    def key(self) -> str:
        """Jobs with equal keys may share one ``predict`` call."""
        if self.decoding.get("seed") is not None:
            return f"alone:{next(_alone)}"
        return json.dumps(self.decoding, sort_keys=True)


class MicroBatcher:
    """``await batcher.submit(inputs, decoding)`` → that request's outputs, computed in shared batches."""

    def __init__(self, predictor, max_batch: int, max_wait_ms: float):
        self.predictor, self.max_batch, self.max_wait = predictor, max_batch, max_wait_ms / 1000
        self._queue: queue.Queue = queue.Queue()
        self._arriving = 0  # requests received or being parsed that have not submitted their job yet
        self._lock = threading.Lock()
        self.batch_sizes: list[int] = []  # inputs per predict call (for tests and the benchmark)
        self._thread = threading.Thread(target=self._run, name="seq2seq-model", daemon=True)
        self._thread.start()

    # -- the event-loop side ------------------------------------------------------------------------------
    def arrival(self) -> Arrival:
        """Mark a request on its way in; ``done()`` when it has submitted its job or given up."""
        return Arrival(self)

    def _count(self, delta: int) -> None:
        with self._lock:
            self._arriving += delta

    async def submit(self, inputs: list, decoding: dict) -> list:
        job = Job(list(inputs), dict(decoding))
        self._queue.put(job)
        return await asyncio.wrap_future(job.future)

    def close(self, timeout: float = 60.0) -> None:
        """Answer what is queued, then stop the model thread."""
        self._queue.put(_STOP)
        self._thread.join(timeout)

    # -- the model thread --------------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            jobs, stop = self._gather(first)
            self._answer(jobs)
            if stop:
                return

    def _gather(self, first: Job) -> tuple[list[Job], bool]:
        jobs, count = [first], len(first.inputs)
        deadline = time.monotonic() + self.max_wait
        while count < self.max_batch:
            left = deadline - time.monotonic()
            if left <= 0 or (self._arriving == 0 and self._queue.empty()):
                break
            try:
                job = self._queue.get(timeout=min(left, 0.001))  # short: re-check who is arriving
            except queue.Empty:
                continue
            if job is _STOP:
                return jobs, True
            jobs.append(job)
            count += len(job.inputs)
        return jobs, False

    def _answer(self, jobs: list[Job]) -> None:
        groups: dict[str, list[Job]] = defaultdict(list)
        for job in jobs:
            groups[job.key].append(job)
        for group in groups.values():
            self._answer_group(group)

    def _answer_group(self, jobs: list[Job]) -> None:
        """One ``predict`` per ``max_batch`` inputs of jobs that share decoding options; on an error the
        jobs are retried one by one, so a bad request fails alone."""
        items = [(job, i, x) for job in jobs for i, x in enumerate(job.inputs)]
        results: dict[int, list] = {id(job): [None] * len(job.inputs) for job in jobs}
        try:
            for start in range(0, len(items), self.max_batch):
                chunk = items[start : start + self.max_batch]
                outputs = self._predict([x for _, _, x in chunk], jobs[0].decoding)
                for (job, i, _), out in zip(chunk, outputs):
                    results[id(job)][i] = out
        except Exception as err:  # noqa: BLE001 - handed to the request(s) it belongs to
            if len(jobs) == 1:
                jobs[0].future.set_exception(err)
                return
            for job in jobs:
                self._answer_group([job])
            return
        for job in jobs:
            job.future.set_result(results[id(job)])

    def _predict(self, inputs: list, decoding: dict) -> list:
        self.batch_sizes.append(len(inputs))
        outputs = self.predictor.predict(inputs, **decoding)
        if len(outputs) != len(inputs):
            raise RuntimeError(f"predictor returned {len(outputs)} outputs for {len(inputs)} inputs")
        return outputs


class Arrival:
    """One request between its arrival and its job's submission (``done`` may be called twice)."""

    def __init__(self, batcher: MicroBatcher):
        self._batcher, self._open = batcher, True
        batcher._count(+1)

    def done(self) -> None:
        if self._open:
            self._open = False
            self._batcher._count(-1)
