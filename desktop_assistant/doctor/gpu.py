"""Whether Whisper could run on an NVIDIA GPU here, and why not when one is present but unused."""

from __future__ import annotations

import ctypes.util
import shutil
import subprocess
from pathlib import Path

NVIDIA_SMI_TIMEOUT_S = 10.0
# Where the NVIDIA kernel driver lists its GPUs on Linux, without nvidia-smi.
DRIVER_GPUS = Path("/proc/driver/nvidia/gpus")


def nvidia_gpus() -> list[str]:
    """The NVIDIA GPUs' names (``nvidia-smi -L``), or one stand-in per GPU the driver lists; empty
    when there are none."""
    smi = shutil.which("nvidia-smi")
    if smi is not None:
        try:
            done = subprocess.run(
                [smi, "-L"], capture_output=True, text=True, timeout=NVIDIA_SMI_TIMEOUT_S, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            done = None
        if done is not None and done.returncode == 0:
            # "GPU 0: NVIDIA H200 (UUID: GPU-…)"
            return [
                line.split(":", 1)[1].split("(UUID")[0].strip()
                for line in done.stdout.splitlines()
                if line.startswith("GPU ") and ":" in line
            ]
    if DRIVER_GPUS.is_dir():
        return ["an NVIDIA GPU" for _ in DRIVER_GPUS.iterdir()]
    return []


def cpu_reason(setting: str) -> str:
    """Why Whisper runs on the CPU, given ``stt.device`` (``auto`` picks CUDA wherever ctranslate2 finds
    a CUDA device, so on the CPU it found none): the setting, no GPU, or what stops CUDA."""
    if setting == "cpu":
        return "stt.device = cpu"
    gpus = nvidia_gpus()
    if not gpus:
        return "no NVIDIA GPU found"
    if ctypes.util.find_library("cuda") is None:
        why = "the NVIDIA driver's libcuda cannot be found: install or repair the NVIDIA driver"
    else:
        why = "ctranslate2 finds no CUDA device: check nvidia-smi and CUDA_VISIBLE_DEVICES"
    return f"{gpus[0]} is present but unused: {why}"
