#!/usr/bin/env bash
# Builds Desktop Assistant for Linux from a clean checkout: the one-folder PyInstaller bundle
# (dist/desktop-assistant/), its .tar.gz and a .deb (packaging/make_deb.sh), then runs the bundle's
# --self-test. Safe to run again. Debian/Ubuntu; see packaging/README.md.
#   DESKTOP_ASSISTANT_BUILD_VENV   the build's virtual environment (default build/venv)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
source packaging/bootstrap.sh

app_id=io.github.desktopassistant.DesktopAssistant
resources=$root/resources
icon_sizes=(16 24 32 48 64 128 256 512)

# The desktop entry, metainfo and icons go into the .deb: check them before minutes of building.
desktop_files=("desktop/$app_id.desktop" "desktop/$app_id.metainfo.xml" "icons/hicolor/scalable/apps/$app_id.svg")
for size in "${icon_sizes[@]}"; do desktop_files+=("icons/hicolor/${size}x${size}/apps/$app_id.png"); done
for file in "${desktop_files[@]}"; do
  if [ ! -f "$resources/$file" ]; then
    echo "build.sh: missing $resources/$file (the desktop entry, metainfo and icons the .deb installs)" >&2
    exit 1
  fi
done

# SYSTEM_PACKAGES: PortAudio (collected into the bundle) and the libraries Qt's xcb and Wayland plugins
# load; binutils for PyInstaller's objdump; dpkg-dev for dpkg-deb where a minimal system lacks it.
build_packages=("${SYSTEM_PACKAGES[@]}" binutils)
command -v dpkg-deb >/dev/null || build_packages+=(dpkg-dev)
install_system_packages "${build_packages[@]}"

venv=${DESKTOP_ASSISTANT_BUILD_VENV:-$root/build/venv}
[ -x "$venv/bin/python" ] || "${PYTHON:-python3}" -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q -e ".[package]"

echo "==> PyInstaller: dist/desktop-assistant/"
started=$SECONDS
"$venv/bin/pyinstaller" --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller packaging/desktop-assistant.spec
echo "==> bundle built in $((SECONDS - started)) s: $(du -sh dist/desktop-assistant | cut -f1)"

version=$("$venv/bin/python" -c 'from importlib.metadata import version; print(version("desktop-assistant"))')
tarball=dist/desktop-assistant-$version-linux-$(uname -m).tar.gz
tar -C dist -czf "$tarball" desktop-assistant
echo "==> $tarball: $(du -h "$tarball" | cut -f1)"

bash packaging/make_deb.sh "$version" "$resources"

echo "==> self-test of the bundle"
started=$SECONDS
dist/desktop-assistant/desktop-assistant --self-test
echo "==> self-test passed in $((SECONDS - started)) s"
