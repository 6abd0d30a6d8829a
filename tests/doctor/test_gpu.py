"""Why Whisper is on the CPU: the setting, no GPU, or a GPU that ctranslate2 cannot use. The GPU is an
``nvidia-smi`` of the test's own on PATH, printing what the real one prints for an H200."""

from __future__ import annotations

from pathlib import Path

import ctranslate2
import pytest

from desktop_assistant.doctor import gpu

H200 = "GPU 0: NVIDIA H200 (UUID: GPU-5f0c2f9e-1c2d-4b7a-9a51-0d6a3f1c2b11)"


def put_on_path(folder: Path, monkeypatch: pytest.MonkeyPatch, script: str) -> None:
    smi = folder / "nvidia-smi"
    smi.write_text(f"#!/bin/sh\n{script}\n")
    smi.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}:/usr/bin:/bin")


def test_the_setting_says_cpu() -> None:
    assert gpu.cpu_reason("cpu") == "stt.device = cpu"


def test_nvidia_smi_names_the_gpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    put_on_path(tmp_path, monkeypatch, f"echo '{H200}'\necho 'GPU 1: NVIDIA H200 (UUID: GPU-1)'")
    assert gpu.nvidia_gpus() == ["NVIDIA H200", "NVIDIA H200"]


@pytest.mark.skipif(ctranslate2.get_cuda_device_count() > 0, reason="CUDA works here")
def test_a_gpu_that_ctranslate2_cannot_use_is_named_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    put_on_path(tmp_path, monkeypatch, f"echo '{H200}'")
    reason = gpu.cpu_reason("auto")
    assert reason.startswith("NVIDIA H200 is present but unused: ")
    assert "libcuda cannot be found" in reason or "finds no CUDA device" in reason


def test_no_gpu_when_nvidia_smi_fails_and_the_driver_lists_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    put_on_path(tmp_path, monkeypatch, "echo 'NVIDIA-SMI has failed' >&2; exit 9")
    monkeypatch.setattr(gpu, "DRIVER_GPUS", tmp_path / "no-driver")
    assert gpu.nvidia_gpus() == []
    assert gpu.cpu_reason("auto") == "no NVIDIA GPU found"
