#!/usr/bin/env bash
# make_deb.sh VERSION RESOURCES: dist/desktop-assistant_VERSION_ARCH.deb from the bundle in
# dist/desktop-assistant/ (packaging/build.sh runs it). The bundle goes to /opt/desktop-assistant, the
# desktop entry, metainfo and icons from RESOURCES (desktop/, icons/) under /usr/share, and
# /usr/bin/desktop-assistant runs it. The models the app uses live in the user's data folder, never in
# /opt: the first run, 'models download' or 'models install-packaged' (which imports the packaged copies
# the bundle carries) puts them there.
set -euo pipefail
cd "$(dirname "$0")/.."
source packaging/bootstrap.sh
version=$1
resources=$2
app_id=io.github.desktopassistant.DesktopAssistant
arch=$(dpkg --print-architecture)
deb=dist/desktop-assistant_${version}_$arch.deb

stage=$(mktemp -d "${TMPDIR:-/tmp}/desktop-assistant-deb.XXXXXX")
trap 'rm -rf "$stage"' EXIT
chmod 0755 "$stage" # mktemp's 0700 would be the package's root directory
mkdir -p "$stage/DEBIAN" "$stage/opt" "$stage/usr/bin" "$stage/usr/share/applications" "$stage/usr/share/metainfo"
cp -a dist/desktop-assistant "$stage/opt/desktop-assistant"
cp "$resources/desktop/$app_id.desktop" "$stage/usr/share/applications/"
cp "$resources/desktop/$app_id.metainfo.xml" "$stage/usr/share/metainfo/"
cp -r "$resources/icons" "$stage/usr/share/icons"
# A script, not a link: the bundle finds its _internal/ folder beside the binary it was started as.
cat >"$stage/usr/bin/desktop-assistant" <<'SCRIPT'
#!/bin/sh
exec /opt/desktop-assistant/desktop-assistant "$@"
SCRIPT
chmod 0755 "$stage/usr/bin/desktop-assistant"

# What the bundle does not carry: the system's audio plugins and the libraries Qt's xcb and Wayland
# plugins load (bootstrap.sh's SYSTEM_PACKAGES, less what only a source install needs).
depends=$(printf '%s\n' "${SYSTEM_PACKAGES[@]}" | grep -vx -e python3-venv -e libportaudio2 -e libsndfile1 | paste -sd, | sed 's/,/, /g')
cat >"$stage/DEBIAN/control" <<CONTROL
Package: desktop-assistant
Version: $version
Architecture: $arch
Maintainer: Desktop Assistant developers <desktop-assistant@users.noreply.github.com>
Installed-Size: $(du -sk "$stage" | cut -f1)
Depends: libc6, $depends
Section: sound
Priority: optional
Homepage: https://github.com/desktopassistant/desktop-assistant
Description: private, local push-to-talk voice assistant
 Hold a key, ask a question, hear the answer: faster-whisper hears it, a local
 Ollama model answers and Kokoro speaks the reply, all on this computer.
CONTROL

# gzip: xz had not finished after four and a half minutes on the 2-core CI machine (gzip: two and a half).
dpkg-deb --root-owner-group -Zgzip --build "$stage" "$deb" >/dev/null
echo "==> $deb: $(du -h "$deb" | cut -f1)"
