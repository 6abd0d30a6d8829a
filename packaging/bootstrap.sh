# Sourced by packaging/install.sh and tests/run.sh: the Debian/Ubuntu system packages and the
# virtual environment both need, installed only when missing so a second run is quick.

# install_system_packages PKG...: apt-get install the ones not installed yet (through sudo unless root).
install_system_packages() {
  local missing=() pkg sudo=""
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "==> Installing system packages: ${missing[*]}"
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

# make_venv EXTRA: .venv with the package installed editable with that extra.
make_venv() {
  [ -x .venv/bin/python ] || "${PYTHON:-python3}" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[$1]"
}

SYSTEM_PACKAGES=(python3-venv libportaudio2 libsndfile1 libasound2-plugins)
# Only for the tests: the audio tests run PortAudio against a private PulseAudio null sink
# (pulseaudio for the daemon and its null-sink module, pulseaudio-utils for pactl and parec).
TEST_SYSTEM_PACKAGES=(pulseaudio pulseaudio-utils)
