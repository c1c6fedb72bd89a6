#!/usr/bin/env bash
# Installs the OneMed kiosk firmware: the release binary, the systemd unit and
# its system user, the site settings (never overwritten), the OpenVINO runtime
# and the models. `make install` runs it after building.
#
#   DESTDIR   staging root (packages, tests); nothing is activated when set
#   PREFIX    where the binary and docs go (default /usr/local)
#   BIN       the binary to install (default target/release/onemed)
#   VENV      the venv holding the openvino wheel (default .venv)
#   SHARED    the shared folder with models/ (default ../shared)
#   UNITDIR   systemd unit folder (default /etc/systemd/system)
#
# Fixed places (the example kiosk.toml points at them):
#   /opt/onemed/openvino   OpenVINO runtime (libopenvino_c.so.* and plugins)
#   /opt/onemed/models     one folder per tool (model.xml, model.bin)
#   /etc/onemed/kiosk.toml site settings
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DESTDIR="${DESTDIR:-}"
PREFIX="${PREFIX:-/usr/local}"
BIN="${BIN:-$here/target/release/onemed}"
VENV="${VENV:-$here/.venv}"
SHARED="${SHARED:-$here/../shared}"
UNITDIR="${UNITDIR:-/etc/systemd/system}"
OPT=/opt/onemed

die() { echo "install: $*" >&2; exit 1; }
say() { echo "install: $*"; }

case "$PREFIX" in /*) ;; *) die "PREFIX must be an absolute path (got '$PREFIX')" ;; esac
[ -x "$BIN" ] || die "no binary at $BIN: build it first (make build, or cargo build --release)"
models="$SHARED/models"
[ -d "$models" ] || die "models not found at $models: set SHARED=/path/to/shared"
libs=""
for d in "$VENV"/lib/python3*/site-packages/openvino/libs; do
  [ -d "$d" ] && libs="$d"
done
[ -n "$libs" ] || die "OpenVINO runtime not found under $VENV/lib/python3*/site-packages/openvino/libs: run make venv"
compgen -G "$libs/libopenvino_c.so*" >/dev/null || die "$libs holds no libopenvino_c.so"

# The binary and the documentation.
# The screens and the slip shape Hindi, Bengali and Tamil with real fonts
# (Noto Sans Devanagari, Bengali, Tamil): Debian's fonts-noto-core.
# polkit (Debian's polkitd) lets the kiosk user make a stick writable for an export.
if [ -z "$DESTDIR" ] && ! dpkg -s polkitd >/dev/null 2>&1; then
  say "installing polkitd (the kiosk may make a USB stick writable for an export)"
  apt-get install -y -qq --no-install-recommends polkitd >/dev/null \
    || die "polkitd could not be installed: exports to USB sticks need it"
fi
if [ -z "$DESTDIR" ] && ! dpkg -s fonts-noto-core >/dev/null 2>&1; then
  say "installing fonts-noto-core (Indic fonts for the screens and the slip)"
  apt-get install -y -qq --no-install-recommends fonts-noto-core >/dev/null \
    || die "fonts-noto-core could not be installed: Hindi, Bengali and Tamil need it"
fi
install -D -m 0755 "$BIN" "$DESTDIR$PREFIX/bin/onemed"
install -D -m 0644 "$here/systemd/README.md" "$DESTDIR$PREFIX/share/doc/onemed/systemd.md"
install -D -m 0644 "$here/systemd/kiosk.toml" "$DESTDIR$PREFIX/share/doc/onemed/kiosk.toml.example"
install -D -m 0644 "$here/systemd/99-onemed-touchscreen.rules" \
  "$DESTDIR$PREFIX/share/doc/onemed/99-onemed-touchscreen.rules.example"

# The unit, pointing at this PREFIX; its user; the drivers its DeviceAllow= needs.
unit="$DESTDIR$UNITDIR/onemed-kiosk.service"
install -d -m 0755 "$(dirname "$unit")"
sed -e "s|/usr/local/bin/onemed|$PREFIX/bin/onemed|g" \
    -e "s|/usr/local/share/doc/onemed|$PREFIX/share/doc/onemed|g" \
    "$here/systemd/onemed-kiosk.service" > "$unit.tmp"
chmod 0644 "$unit.tmp"
mv "$unit.tmp" "$unit"
install -D -m 0644 "$here/systemd/onemed.sysusers" "$DESTDIR/etc/sysusers.d/onemed.conf"

# USB sticks (no desktop automounter on a kiosk): udev mounts each stick
# read-only under /media/onemed; the kiosk user may make one writable for an
# export, through a unit that polkit lets it start and stop, and nothing else.
install -D -m 0644 "$here/systemd/90-onemed-usb-sticks.rules" "$DESTDIR/etc/udev/rules.d/90-onemed-usb-sticks.rules"
sed -e "s|/usr/local/share/doc/onemed|$PREFIX/share/doc/onemed|g" \
    -e "s|/usr/local/lib/onemed|$PREFIX/lib/onemed|g" \
    "$here/systemd/onemed-stick-rw@.service" > "$DESTDIR$UNITDIR/onemed-stick-rw@.service.tmp"
chmod 0644 "$DESTDIR$UNITDIR/onemed-stick-rw@.service.tmp"
mv "$DESTDIR$UNITDIR/onemed-stick-rw@.service.tmp" "$DESTDIR$UNITDIR/onemed-stick-rw@.service"
install -D -m 0644 "$here/systemd/50-onemed-sticks.rules" "$DESTDIR/etc/polkit-1/rules.d/50-onemed-sticks.rules"
install -D -m 0755 "$here/systemd/stick-write" "$DESTDIR$PREFIX/lib/onemed/stick-write"
install -D -m 0644 "$here/systemd/onemed-modules.conf" "$DESTDIR/etc/modules-load.d/onemed.conf"

# Site settings: only when there are none (a site's own file is never touched).
conf="$DESTDIR/etc/onemed/kiosk.toml"
install -d -m 0755 "$DESTDIR/etc/onemed"
if [ -e "$conf" ]; then
  say "keeping the existing $conf (the example is in $PREFIX/share/doc/onemed/kiosk.toml.example)"
else
  sed -e "s|/usr/local/lib/onemed|$PREFIX/lib/onemed|g" "$here/systemd/kiosk.toml" > "$conf"
  chmod 0644 "$conf"
fi

# The OpenVINO runtime and the models, replaced as a whole so that no stale
# plugin or model file survives an update.
copy_tree() { # SRC DST
  local src="$1" dst="$2"
  rm -rf "$dst.new"
  install -d -m 0755 "$dst.new"
  cp -R --preserve=timestamps "$src/." "$dst.new/"
  chmod -R u=rwX,go=rX "$dst.new"
  rm -rf "$dst"
  mv "$dst.new" "$dst"
}
install -d -m 0755 "$DESTDIR$OPT"
copy_tree "$libs" "$DESTDIR$OPT/openvino"
copy_tree "$models" "$DESTDIR$OPT/models"

say "installed onemed to $DESTDIR$PREFIX/bin, the unit to $unit, runtime and models to $DESTDIR$OPT"

# The register key (LoadCredentialEncrypted= in the unit): made once, sealed
# to this machine's TPM2 when it has one, else to its host key; never
# replaced (a new key would make the existing register unreadable).
cred=/etc/credstore.encrypted/onemed-register-key
make_register_key() {
  install -d -m 0700 /etc/credstore.encrypted
  local tmp
  tmp="$(mktemp)"
  head -c 32 /dev/urandom > "$tmp"
  local with=host
  [ -e /dev/tpmrm0 ] && with=tpm2+host
  if systemd-creds encrypt --name=register-key --with-key="$with" "$tmp" "$cred.new"; then
    shred -u "$tmp" 2>/dev/null || rm -f "$tmp"
    chmod 0600 "$cred.new"
    mv "$cred.new" "$cred"
    say "made the register key $cred (sealed with $with)"
  else
    rm -f "$tmp" "$cred.new"
    die "systemd-creds could not seal the register key"
  fi
}

# Activate only a real install on a machine run by systemd.
if [ -n "$DESTDIR" ]; then
  say "DESTDIR install: the register key is made on the kiosk itself (see systemd.md, 'Register key')"
  exit 0
fi
if [ -e "$cred" ]; then
  say "keeping the register key $cred"
elif command -v systemd-creds >/dev/null; then
  make_register_key
else
  say "systemd-creds is missing: make the register key on the kiosk (see systemd.md, 'Register key')"
fi
if [ -d /run/systemd/system ]; then
  systemd-sysusers /etc/sysusers.d/onemed.conf
  systemctl daemon-reload
  udevadm control --reload 2>/dev/null || true
  say "start the kiosk at every boot with: systemctl enable --now onemed-kiosk.service"
else
  say "systemd is not running here: run 'systemd-sysusers' and 'systemctl daemon-reload' on the kiosk"
fi
