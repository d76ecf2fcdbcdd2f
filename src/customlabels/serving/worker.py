"""An ONNX Runtime session in a child process of its own, driven over its stdin and stdout.

A batch travels in a memory region both processes map (where the platform has one), and only its shape through
the pipe: pickled through the pipe, a detector's 2 MB input took ~2 ms of a ~90 ms detection.
"""

from __future__ import annotations

import mmap
import os
import pickle
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

import numpy as np

import customlabels

_EXIT_WAIT = 5.0
# Address space for one batch; only the pages a batch touches take memory. A larger batch goes through the pipe.
SHARED_BYTES = 64 * 1024 * 1024


class WorkerCrashed(Exception):
    pass


class WorkerError(Exception):
    """The worker is alive but could not run the model on this batch."""


class WorkerProcess:
    """One batch at a time: not thread-safe, except kill()."""

    def __init__(self, model: Path, *, threads: int = 1) -> None:
        self._shared, shared_fd = _shared_region()
        arguments = [str(model), str(threads), str(shared_fd), str(SHARED_BYTES)]
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-X", "faulthandler", "-m", __name__, *arguments],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=_child_environment(),
                pass_fds=() if shared_fd < 0 else (shared_fd,),
            )
        except BaseException:
            if self._shared is not None:
                self._shared.close()
            raise
        finally:
            if shared_fd >= 0:
                os.close(shared_fd)  # why: the two mappings keep the region alive
        self.pid = self._process.pid
        try:
            self._receive()
        except BaseException:
            self.close()
            raise

    def run(self, batch: np.ndarray) -> list[np.ndarray]:
        """Every output of the model; raises WorkerCrashed when the process is gone."""
        stdin = self._process.stdin
        assert stdin is not None
        message: object = batch
        if self._shared is not None and batch.nbytes <= len(self._shared):
            np.copyto(np.ndarray(batch.shape, batch.dtype, buffer=self._shared), batch)
            message = (batch.shape, batch.dtype.str)  # the batch is in the shared region
        try:
            pickle.dump(message, stdin, protocol=pickle.HIGHEST_PROTOCOL)
            stdin.flush()
        except OSError as error:
            raise WorkerCrashed(self._exit_description()) from error
        outputs: list[np.ndarray] = self._receive()
        return outputs

    def kill(self) -> None:
        self._process.kill()

    def close(self) -> None:
        """Lets the worker exit on end of input, killing it if it does not."""
        for stream in (self._process.stdin, self._process.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass  # why: the pipe of a crashed worker may fail to flush; it is closed all the same
        try:
            self._process.wait(_EXIT_WAIT)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._shared is not None:
            self._shared.close()

    def _receive(self) -> Any:
        stdout = self._process.stdout
        assert stdout is not None
        try:
            status, value = pickle.load(stdout)
        except (OSError, EOFError, pickle.UnpicklingError, ValueError) as error:
            raise WorkerCrashed(self._exit_description()) from error
        if status != "ok":
            raise WorkerError(value)
        return value

    def _exit_description(self) -> str:
        try:
            code = self._process.wait(_EXIT_WAIT)
        except subprocess.TimeoutExpired:
            return f"worker process {self.pid} stopped answering"
        return f"worker process {self.pid} exited with code {code}"


def _shared_region() -> tuple[mmap.mmap | None, int]:
    """The parent's mapping and the descriptor for the child, or (None, -1) without anonymous shared files."""
    if not hasattr(os, "memfd_create"):
        return None, -1
    fd = os.memfd_create("customlabels-batch")
    os.ftruncate(fd, SHARED_BYTES)
    return mmap.mmap(fd, SHARED_BYTES), fd


def _child_environment() -> dict[str, str]:
    # Why: the child must import this package the way the server did, installed or not.
    package_root = str(Path(customlabels.__file__).resolve().parents[1])
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": package_root if not path else os.pathsep.join([package_root, path])}


def main(arguments: list[str]) -> int:
    model, (threads, shared_fd, shared_bytes) = Path(arguments[0]), (int(value) for value in arguments[1:4])
    shared = mmap.mmap(shared_fd, shared_bytes) if shared_fd >= 0 else None
    # Why: Ctrl-C reaches the whole process group; the server decides when its workers stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    requests: IO[bytes] = sys.stdin.buffer
    # Why: anything printed by a library must not corrupt the replies, so fd 1 becomes stderr.
    replies: IO[bytes] = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    # Why imported here: the parent imports this module too and must not load ONNX Runtime.
    from customlabels.serving.session import Session

    try:
        session = Session(model, threads=threads)
    except Exception as error:  # why: any load failure is reported to the parent, not printed
        _reply(replies, "error", f"cannot load {model}: {error}")
        return 1
    _reply(replies, "ok", None)
    while True:
        try:
            message = pickle.load(requests)
        except EOFError:
            return 0
        try:
            if isinstance(message, tuple):  # the batch is in the shared region
                shape, dtype = message
                message = np.ndarray(shape, np.dtype(dtype), buffer=shared)
            outputs = session.run(message)
        except Exception as error:  # why: a bad batch fails that request, not the worker
            _reply(replies, "error", f"{type(error).__name__}: {error}")
        else:
            _reply(replies, "ok", outputs)


def _reply(replies: IO[bytes], status: str, value: object) -> None:
    pickle.dump((status, value), replies, protocol=pickle.HIGHEST_PROTOCOL)
    replies.flush()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
