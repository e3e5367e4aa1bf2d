#!/bin/sh
# `systemd-analyze verify` on the kiosk's unit, in a throwaway root that
# holds the unit, a stand-in program at /usr/bin/convene and the base units
# it orders itself against. verify exits 0 even for an unknown key or a bad
# value (it only warns), so any output at all fails the test.
# usage: verify_unit.sh SOURCE_DIR WORK_DIR
set -eu
src=$1
work=$2

if ! command -v systemd-analyze >/dev/null; then
	echo "systemd-analyze not installed (package: systemd)"
	exit 77
fi
root="$work/verify-root"
rm -rf "$root"
mkdir -p "$root/usr/bin" "$root/usr/lib/systemd/system" "$root/etc"
cp -a /usr/lib/systemd/system/. "$root/usr/lib/systemd/system/"
printf '#!/bin/sh\nexit 0\n' >"$root/usr/bin/convene"
chmod 755 "$root/usr/bin/convene"
cp "$src/firmware/systemd/convene.service" "$root/usr/lib/systemd/system/"

out=$(systemd-analyze verify --root="$root" --man=no convene.service 2>&1) || {
	echo "$out"
	echo "FAIL: systemd-analyze verify exited non-zero"
	exit 1
}
if [ -n "$out" ]; then
	echo "$out"
	echo "FAIL: systemd-analyze verify complained"
	exit 1
fi

# The settings the kiosk depends on, not just a unit that parses.
unit="$src/firmware/systemd/convene.service"
for want in '^Type=notify$' '^WatchdogSec=' '^Restart=always$' '^RestartSec=[12]$' \
	'^StartLimitIntervalSec=0$' '^ProtectSystem=strict$' '^ReadWritePaths=/var/lib/convene$' \
	'^NoNewPrivileges=yes$' '^PrivateTmp=yes$' '^DevicePolicy=closed$' '^User=convene$'; do
	grep -q "$want" "$unit" || { echo "FAIL: $unit lacks $want"; exit 1; }
done
# The tap feedback's GPIO lines: the service may open gpiochip devices, and
# the udev rule gives them to its group (Debian leaves them root-only).
grep -q '^DeviceAllow=char-gpiochip rw$' "$unit" ||
	{ echo "FAIL: $unit does not allow the gpiochip devices"; exit 1; }
grep -q '^SUBSYSTEM=="gpio", KERNEL=="gpiochip\[0-9\]\*", GROUP="convene", MODE="0660"$' \
	"$src/firmware/udev/60-convene.rules" ||
	{ echo "FAIL: 60-convene.rules does not give the convene group the gpiochip devices"; exit 1; }
grep -q '^RuntimeWatchdogSec=15$' "$src/firmware/systemd/system.conf.d/50-convene-watchdog.conf" ||
	{ echo "FAIL: the hardware watchdog drop-in does not arm 15 s"; exit 1; }

# systemd's own reading of the merged settings.
show=$(SYSTEMD_LOG_LEVEL=err systemd-analyze security --offline=yes --root="$root" \
	convene.service --no-pager 2>&1) || true
echo "$show" | tail -n 1
echo "unit verified"
