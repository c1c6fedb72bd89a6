#!/usr/bin/env bash
# Installs the Debian packages the build and the tests need, only when missing.
# Idempotent; needs root (or sudo) the first time. Safe to run on every `make`.
set -euo pipefail

# cmake and g++: the charls crate builds its bundled CharLS (JPEG-LS, C++) with them.
BUILD_PKGS="pkg-config libssl-dev libfontconfig1-dev libxkbcommon-dev libudev-dev libinput-dev libgbm-dev libclang-dev clang nasm python3-venv cmake g++"
# The kiosk window (winit on X11) and the software renderer's fonts.
RUN_PKGS="libssl3 libxkbcommon-x11-0 libxcursor1 libxrandr2 libxi6 libx11-xcb1 libfontconfig1 fonts-dejavu-core fonts-noto-core"
# dcmtk: dcmconv, dcmcrle, dcmcjpeg, dcmcjpls, dcmmkdir for the CT phantom (scripts/ct_phantom.py).
TEST_PKGS="age socat dosfstools fusefat xvfb x11-utils imagemagick xdotool systemd libharfbuzz-bin libjpeg-turbo-progs libtiff-tools dcmtk"

missing=()
for p in $BUILD_PKGS $RUN_PKGS $TEST_PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup-system: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
