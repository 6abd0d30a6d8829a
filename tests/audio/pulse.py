"""A private PulseAudio server for the audio tests: a null sink as the speaker, its monitor as the microphone.

The daemon runs in the foreground as our child, with every file (socket, cookie, state, log) in one
temporary folder, so it neither needs nor touches a user session; ``stop()`` terminates it and removes
the folder. Audio played into the sink comes back through ``vsink.monitor``: ``MonitorRecording``
(``parec``) is how a test hears what reached the speaker.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt

from tests.processes import terminate

SINK = "vsink"
MONITOR = f"{SINK}.monitor"
RATE = 48_000
START_TIMEOUT_S = 10.0
# Quieter than this (-60 dBFS RMS) a frame of the monitor counts as silence.
SILENT_RMS = 1e-3


class PulseUnavailable(Exception):
    """PulseAudio could not be started here; the message says why."""


class PulseServer:
    """``pulseaudio`` with a float32 null sink as default sink and its monitor as default source."""

    def __init__(self) -> None:
        self.folder: Path | None = None
        self.env: dict[str, str] = {}
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the daemon and wait until it answers; raises ``PulseUnavailable`` with the reason."""
        missing = [tool for tool in ("pulseaudio", "pactl", "parec") if shutil.which(tool) is None]
        if missing:
            raise PulseUnavailable(
                f"{', '.join(missing)} not installed (Debian/Ubuntu: apt install pulseaudio pulseaudio-utils)"
            )
        folder = self.folder = Path(tempfile.mkdtemp(prefix="da-pulse-"))
        script = folder / "test.pa"
        script.write_text(
            f"load-module module-native-protocol-unix socket={folder / 'native'} auth-anonymous=1\n"
            f"load-module module-null-sink sink_name={SINK} format=float32le rate={RATE} channels=2\n"
            f"set-default-sink {SINK}\n"
            f"set-default-source {MONITOR}\n"
        )
        (folder / "client.conf").write_text("autospawn = no\n")
        self.env = {
            "PULSE_SERVER": f"unix:{folder / 'native'}",
            "PULSE_COOKIE": str(folder / "cookie"),
            "PULSE_CLIENTCONFIG": str(folder / "client.conf"),
            "PULSE_RUNTIME_PATH": str(folder / "runtime"),
            "PULSE_STATE_PATH": str(folder / "state"),
        }
        command = [
            "pulseaudio",
            "--daemonize=no",
            "--system=no",
            "--exit-idle-time=-1",
            "--use-pid-file=no",
            "--realtime=no",
            "--high-priority=no",
            "--log-target=stderr",
            "--log-level=error",
            "-n",
            "-F",
            str(script),
        ]
        with open(folder / "pulseaudio.log", "wb") as log:
            # HOME in the folder too: as root, pulseaudio otherwise writes a cookie under /root.
            self._proc = subprocess.Popen(
                command,
                env={**os.environ, **self.env, "HOME": str(folder)},
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        self._wait_ready()

    def stop(self) -> None:
        """Terminate the daemon, wait for it and remove its folder."""
        proc, self._proc = self._proc, None
        if proc is not None:
            terminate(proc)
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def pactl(self, *args: str) -> str:
        """Run ``pactl`` against this server and return its output."""
        done = subprocess.run(
            ["pactl", *args], env={**os.environ, **self.env}, capture_output=True, text=True, timeout=10
        )
        if done.returncode != 0:
            raise RuntimeError(f"pactl {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout

    def record(self) -> MonitorRecording:
        """Start recording the sink's monitor; returns once audio is flowing."""
        return MonitorRecording(self.env)

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self._proc is not None
            if self._proc.poll() is not None:
                reason = self._log_tail() or f"exit status {self._proc.returncode}"
                self.stop()
                raise PulseUnavailable(f"pulseaudio exited at start: {reason}")
            try:
                if SINK in self.pactl("list", "short", "sinks"):
                    return
            except RuntimeError:
                pass
            time.sleep(0.05)
        reason = self._log_tail()
        self.stop()
        raise PulseUnavailable(f"pulseaudio did not answer within {START_TIMEOUT_S:.0f} s: {reason}")

    def _log_tail(self) -> str:
        assert self.folder is not None
        lines = (self.folder / "pulseaudio.log").read_text(errors="replace").strip().splitlines()
        return " | ".join(lines[-3:])


class MonitorRecording:
    """``parec`` on the monitor, mono float32 at ``RATE``, read by a thread until ``stop()``."""

    def __init__(self, env: dict[str, str]) -> None:
        self._proc = subprocess.Popen(
            [
                "parec",
                "--raw",
                "--format=float32le",
                f"--rate={RATE}",
                "--channels=1",
                f"--device={MONITOR}",
                "--latency-msec=10",
            ],
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self._data = bytearray()
        self._flowing = threading.Event()
        self._thread = threading.Thread(target=self._read, name="parec-reader", daemon=True)
        self._thread.start()
        if not self._flowing.wait(START_TIMEOUT_S):
            self.stop()
            raise RuntimeError("parec delivered no audio from the monitor")

    def samples_so_far(self) -> int:
        """How many samples have been recorded up to now."""
        return len(self._data) // 4

    def stop(self) -> npt.NDArray[np.float32]:
        """Stop parec and return everything it recorded."""
        self._proc.terminate()
        self._proc.wait(timeout=5)
        self._thread.join()
        assert self._proc.stdout is not None
        self._proc.stdout.close()
        usable = len(self._data) // 4 * 4
        return np.frombuffer(bytes(self._data[:usable]), dtype="<f4").astype(np.float32)

    def _read(self) -> None:
        assert self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        while chunk := os.read(fd, 65536):
            self._data.extend(chunk)
            self._flowing.set()


def tone(freq: float, seconds: float, rate: int, amplitude: float = 0.5) -> npt.NDArray[np.float32]:
    """A sine tone."""
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def tone_runs(
    audio: npt.NDArray[np.float32], rate: int, freqs: tuple[float, ...], frame_ms: int = 20
) -> list[tuple[float, float]]:
    """What was heard, as (frequency, seconds) runs; 0.0 is silence.

    A frame is labelled with one of ``freqs`` when that tone carries most of its energy; frames it does
    not (an edge where one tone stops and the next starts mid-frame) are left out.
    """
    size = rate * frame_ms // 1000
    count = len(audio) // size
    frames = audio[: count * size].reshape(count, size).astype(np.float64)
    t = np.arange(size) / rate
    probes = np.stack([np.exp(-2j * np.pi * f * t) for f in freqs])
    # For a tone filling the frame, 2|X(f)|^2 / N equals the frame's energy; for a part of it, that share.
    share = 2 * np.abs(frames @ probes.T) ** 2 / size / np.maximum(np.sum(frames**2, axis=1), 1e-12)[:, None]
    loud = np.sqrt(np.mean(frames**2, axis=1)) > SILENT_RMS
    runs: list[tuple[float, float]] = []
    for is_loud, shares in zip(loud, share, strict=True):
        if is_loud and shares.max() < 0.5:
            continue
        label = float(freqs[int(np.argmax(shares))]) if is_loud else 0.0
        if runs and runs[-1][0] == label:
            runs[-1] = (label, runs[-1][1] + frame_ms / 1000)
        else:
            runs.append((label, frame_ms / 1000))
    return runs


def sounding(runs: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The runs without the silence before the first sound and after the last."""
    start = next((i for i, (f, _) in enumerate(runs) if f), len(runs))
    end = max((i + 1 for i, (f, _) in enumerate(runs) if f), default=start)
    return runs[start:end]
