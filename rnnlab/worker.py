"""Training in a child process, so the web server's Python work cannot take the GIL from it.

Both ends of the pipe live here: `child_main` (the child) and `ProcessRunner` (the server's side
of a TrainingJob), which owns the message protocol below, the stop grace period and the signals.

A thread in the server process shares one GIL with Streamlit: measured in headless Chromium on 2
cores, a thread-based job trained at 0.64x the CLI's speed; a child process (here) is not slowed
by the server at all. Children come from a `forkserver` that has imported torch and trained once,
often as a standby child forked ahead of the job (rnnlab/forkserver.py), so a new job starts in
milliseconds and never inherits the server's threads or CUDA state.

Events travel back through a pipe in small batches (at most every 50 ms, and at each epoch end,
probe and the final Done); the trained weights come back as numpy arrays with the result.
"""
from __future__ import annotations

import copy
import math
import os
import time
import traceback
from dataclasses import dataclass, field

from rnnlab.errors import RnnlabError
from rnnlab.events import Done, EpochEnd, Probe
from rnnlab.forkserver import ProcessControl, context, exit_with_parent, forkserver_started, start, take_standby
from rnnlab.result import RunResult

STOP_GRACE_S = 5.0  # after Stop, a child has this long to finish its step and report, then SIGTERM
KILL_GRACE_S = 2.0  # after SIGTERM, this long before SIGKILL
PAUSE_LIMIT_S = 600.0  # a job paused this long is stopped (results kept), freeing its slot

@dataclass
class Events:
    """A batch of Trainer events (StepEnd, EpochEnd, Probe, Done)."""
    events: list


@dataclass
class Started:
    """The Trainer exists; training begins."""
    total_steps: int


@dataclass
class Weights:
    """The model's weights at an epoch end, so pages can show the current fit while training goes on."""
    epoch: int
    state: dict  # name -> numpy array


@dataclass
class Finished:
    """Training ended: how, the run result, the trained weights and any ETS / Theta fit the child made
    (the server keeps it for the next run on the same series: rnnlab.classical.known_fits)."""
    done: Done
    result: RunResult
    state: dict  # name -> numpy array
    classical: dict = field(default_factory=dict)  # (training values hash, period) -> ClassicalFit


@dataclass
class Failed:
    """Setup or training raised: one line for people."""
    message: str


Message = Events | Started | Weights | Finished | Failed
FLUSH_S = 0.05
LIVE_WEIGHTS_EVERY_S = 1.0  # epoch-end weights go to the server at most this often ...
LIVE_WEIGHTS_MAX = 2_000_000  # ... and only for models up to this many parameters (8 MB)
def child_main(conn, control: ProcessControl, server_pid: int | None, config_dict: dict, data, probe_factory,
               cpu_threads, start_from: dict | None = None, classical_fits: dict | None = None) -> None:
    """Runs in the child: the same recipe as everywhere (experiment.setup and experiment.train).
    server_pid: the server, watched (None: a standby child watches it already); classical_fits: the
    server's ETS / Theta fits (rnnlab.classical.known_fits)."""
    import torch

    from rnnlab import classical
    from rnnlab.config import RunConfig
    from rnnlab.experiment import setup, train

    if server_pid is not None:
        exit_with_parent(server_pid)
    if cpu_threads:
        torch.set_num_threads(cpu_threads)
    buf: list = []
    last, shared, s = -math.inf, 0.0, None  # -inf: the first event goes out at once (the page's first point)

    def on_event(e) -> None:
        nonlocal buf, last, shared
        buf.append(e)
        now = time.monotonic()
        if isinstance(e, (EpochEnd, Probe, Done)) or now - last > FLUSH_S:
            conn.send(Events(buf))
            buf, last = [], now
        if isinstance(e, EpochEnd) and s is not None and now - shared >= LIVE_WEIGHTS_EVERY_S \
                and sum(p.numel() for p in s.model.parameters()) <= LIVE_WEIGHTS_MAX:
            # the weights so far, so pages can show the current fit while training goes on
            conn.send(Weights(e.epoch, {k: v.detach().cpu().numpy().copy()
                                        for k, v in s.model.state_dict().items()}))
            shared = now

    classical.remember(classical_fits or {})
    had = set(classical.known_fits())  # the server's and the forkserver's warm-up fit
    try:
        s = setup(RunConfig.from_dict(config_dict), data, start_from=start_from)
        done, result = train(s, [on_event], control, probe_factory,
                             on_start=lambda total: conn.send(Started(total)))
        state = {k: v.detach().cpu().numpy() for k, v in s.model.state_dict().items()}
        made = {k: v for k, v in classical.known_fits().items() if k not in had}
        conn.send(Finished(done, result, state, made))
    except RnnlabError as e:
        conn.send(Failed(str(e)))
    except Exception as e:  # a bug: report it in one line, the server keeps running
        traceback.print_exc()
        conn.send(Failed(f"unexpected {type(e).__name__}: {e}"))
    finally:
        conn.close()


class ProcessRunner:
    """The server's side of a job trained in a child: starts it, turns its messages into the job's
    Progress, keeps the latest weights it sent, and enforces the lifecycle (pause limit, stop
    grace, SIGTERM then SIGKILL)."""

    def __init__(self, cpu_threads: int | None, stop_grace: float = STOP_GRACE_S,
                 pause_limit: float = PAUSE_LIMIT_S) -> None:
        self.cpu_threads = cpu_threads  # None: torch's own choice in the child
        self.stop_grace, self.pause_limit = stop_grace, pause_limit
        self._standby = take_standby()  # a child forked ahead, with its own flags; else forked in run()
        self.control = self._standby.control if self._standby is not None else ProcessControl()
        self.child_pid: int | None = None
        self._ended_by_us = False  # the child was terminated or killed after the stop grace
        self._live: tuple[int, dict] | None = None  # (epoch, weights) the child sent last
        self._live_model = None  # a copy of the model that shows those weights

    def run(self, job) -> None:
        """Train `job` (a TrainingJob) in a child; returns once the job has finished."""
        from rnnlab import classical
        from rnnlab.experiment import setup
        from rnnlab.inputs import load_data

        if self._standby is None and not forkserver_started():  # this job's child waits for the preload
            job.progress.starting("loading PyTorch in the training process: the first run after the server "
                                  "started waits a few seconds for it")
        data = job.data if job.data is not None else load_data(job.config.data)
        work = (job.config.to_dict(), data, job.probe_factory, self.cpu_threads, job.start_from,
                classical.known_fits())
        # first: the child builds its own setup while this process builds its copy below
        sb, self._standby = self._standby, None
        if sb is not None and sb.give(child_main, None, *work):
            proc, receive = sb.proc, sb.receive
        else:  # no standby, or it died: fork one now (the flags are Events, inherited at its start)
            if sb is not None:
                sb.close()
            ctx = context()
            receive, send = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=child_main, name=f"rnnlab-job-{job.id}", daemon=True,
                               args=(send, self.control, os.getpid(), *work))
            start(proc)
            send.close()
        self.child_pid = proc.pid
        try:
            # the parent's copy: data parts for charts, the model that receives the trained weights
            s = setup(job.config, data, place_tensors=False, start_from=job.start_from)  # checks the weights fit
        except BaseException:
            proc.kill()  # the child would fail the same check; this process says why
            proc.join(timeout=5)
            receive.close()
            raise
        try:
            self._listen(job, proc, receive, s)
        except EOFError:
            if self._ended_by_us:
                self._finish_ended(job.progress)
            else:
                job.progress.finish("error", "the training process closed its pipe before finishing")
        finally:
            receive.close()
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()

    def discard(self) -> None:
        """The job will not run (stopped while queued): its standby child, if any, exits."""
        sb, self._standby = self._standby, None
        if sb is not None:
            sb.close()

    def _listen(self, job, proc, receive, s) -> None:
        """Messages until the child has finished, failed, died or been ended."""
        while True:
            if receive.poll(0.2):
                if self._receive(receive.recv(), job.progress, s):
                    return
            elif self._enforce(job, proc):
                return
            elif not proc.is_alive() and not receive.poll(0):
                job.progress.finish("error", f"the training process ended unexpectedly (exit code {proc.exitcode})")
                return

    def _receive(self, msg: Message, progress, s) -> bool:
        """One message from the child into the job's Progress; True once training ended."""
        if isinstance(msg, Events):
            for e in msg.events:
                progress.on_event(e)
        elif isinstance(msg, Started):
            progress.begin(s, msg.total_steps, self.control.paused)
        elif isinstance(msg, Weights):
            with progress.lock:
                self._live = (msg.epoch, msg.state)
        elif isinstance(msg, Finished):
            import torch

            from rnnlab import classical
            classical.remember(msg.classical)
            s.model.load_state_dict({k: torch.as_tensor(v) for k, v in msg.state.items()})
            s.model.eval()
            progress.finish(msg.done.reason, msg.done.message, msg.result)
            return True
        elif isinstance(msg, Failed):
            progress.finish("error", msg.message)
            return True
        return False

    def _enforce(self, job, proc) -> bool:
        """Lifecycle rules, checked while waiting for the child; True once the child was ended.

        A job paused longer than `pause_limit` is stopped (its results are kept) to free its slot.
        A child that has not finished `stop_grace` seconds after Stop (stuck in a long step or
        probe) gets SIGTERM, and SIGKILL KILL_GRACE_S later."""
        now, p = time.monotonic(), job.progress
        if p.paused_at is not None and now - p.paused_at > self.pause_limit:
            p.paused_at = None
            job.stop(f"paused for more than {self.pause_limit:g} s: stopped to free the training slot; "
                     "the results so far are kept")
        if p.stop_at is None or now - p.stop_at < self.stop_grace:
            return False
        if proc.is_alive():
            self._ended_by_us = True
            if now - p.stop_at < self.stop_grace + KILL_GRACE_S:
                proc.terminate()
            else:
                proc.kill()
            return False
        self._finish_ended(p)
        return True

    def _finish_ended(self, progress) -> None:
        progress.finish("stopped", f"the training process did not stop within {self.stop_grace:g} s "
                        "(busy in a long step or probe), so it was ended; no results were kept")

    def live_model(self, progress):
        """(epoch, a copy of the model with the weights the child sent last), or None before any."""
        import torch
        with progress.lock:  # a copy of its own: the real model only ever receives the final weights
            if self._live is None:
                return None
            if self._live_model is None:
                self._live_model = copy.deepcopy(progress.setup.model)
            self._live_model.load_state_dict({k: torch.as_tensor(v) for k, v in self._live[1].items()})
            self._live_model.eval()
            return self._live[0], self._live_model
