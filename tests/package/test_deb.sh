#!/bin/sh
# Builds the .deb (two versions of it) and installs, upgrades, removes and
# purges it in a throwaway root with dpkg --root. The maintainer scripts run
# outside a chroot (--force-script-chrootless) and honour $DPKG_ROOT, which
# dpkg sets to the root. The root has no libraries in its dpkg database, so
# dependencies are forced; the program runs from the root against the build
# machine's libraries.
# usage: test_deb.sh SOURCE_DIR WORK_DIR
set -eu
src=$1
work=$2
rm -rf "$work"
mkdir -p "$work"
log="$work/dpkg.log"

fail() {
	echo "FAIL: $*"
	exit 1
}

for tool in dpkg dpkg-deb cpack systemd-sysusers; do
	command -v $tool >/dev/null || { echo "$tool not installed"; exit 77; }
done

# --- build two versions ---
build="$work/build"
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCONVENE_TESTS=OFF \
	-DCMAKE_INSTALL_PREFIX=/usr -DCONVENE_PACKAGE_VERSION=0.1.0 >"$work/cmake.log"
cmake --build "$build" --target convene -j2 >>"$work/cmake.log"
(cd "$build" && cpack -G DEB -B "$work/v1") >>"$work/cmake.log"
cmake -S "$src" -B "$build" -DCONVENE_PACKAGE_VERSION=0.1.1 >>"$work/cmake.log"
(cd "$build" && cpack -G DEB -B "$work/v2") >>"$work/cmake.log"
v1=$(ls "$work"/v1/convene_0.1.0_*.deb)
v2=$(ls "$work"/v2/convene_0.1.1_*.deb)

# --- what the package holds ---
contents=$(dpkg-deb -c "$v1" | awk '{ print $6 }')
for f in ./usr/bin/convene ./usr/lib/systemd/system/convene.service \
	./usr/lib/systemd/system.conf.d/50-convene-watchdog.conf \
	./usr/lib/udev/rules.d/60-convene.rules ./usr/lib/sysusers.d/convene.conf \
	./usr/lib/tmpfiles.d/convene.conf ./etc/convene/convene.conf \
	./usr/share/convene/board/pi4-pn532-uart-dsi7.ini \
	./usr/share/convene/board/boot/pi4-pn532-uart-dsi7.txt \
	./usr/share/convene/board/README.md ./usr/share/convene/strings/en.ini; do
	echo "$contents" | grep -qx "$f" || fail "the package lacks $f"
done
dpkg-deb -e "$v1" "$work/control"
grep -qx /etc/convene/convene.conf "$work/control/conffiles" ||
	fail "/etc/convene/convene.conf is not a conffile"
for s in postinst prerm postrm; do
	[ -x "$work/control/$s" ] || fail "no $s"
	sh -n "$work/control/$s" || fail "$s does not parse"
done
# Depends is written by hand (a cross build's sysroot hides the libraries
# from dpkg-shlibdeps): every library the program links must be named in it.
depends=$(dpkg-deb -f "$v1" Depends | tr -d ' ' | tr ',' '\n' | sed 's/(.*//')
for so in $(readelf -d "$build/convene" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
	path=$(ldconfig -p | awk -v so="$so" '$1 == so { print $NF; exit }')
	[ -n "$path" ] || fail "$so (linked by the program) is not installed here"
	pkg=$(dpkg -S "$(realpath "$path")" 2>/dev/null || dpkg -S "$path" 2>/dev/null || true)
	pkg=${pkg%%:*}
	[ -n "$pkg" ] || fail "no package owns $path ($so)"
	echo "$depends" | grep -qx "$pkg" || fail "Depends lacks $pkg, which holds $so"
done

# --- a throwaway root ---
root="$work/root"
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/etc"
: >"$root/var/lib/dpkg/status"
: >"$root/var/lib/dpkg/available"
# A base system's accounts, so sysusers allocates like on a real one.
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\n' >"$root/etc/group"
dpkg_root() {
	dpkg --root="$root" --log="$log" --force-script-chrootless --force-depends \
		--force-unsafe-io "$@" >>"$work/dpkg.out" 2>&1 || {
		cat "$work/dpkg.out"
		fail "dpkg $*"
	}
}

# --- install ---
dpkg_root -i "$v1"
[ -x "$root/usr/bin/convene" ] || fail "no program after install"
grep -q '^convene:' "$root/etc/passwd" || fail "no convene user in the root"
grep -q '^convene:' "$root/etc/group" || fail "no convene group in the root"
uid=$(awk -F: '$1 == "convene" { print $3 }' "$root/etc/passwd")
[ "$uid" -gt 0 ] && [ "$uid" -lt 1000 ] || fail "convene is not a system user (uid $uid)"
[ "$(stat -c %u "$root/var/lib/convene")" = "$uid" ] || fail "/var/lib/convene not owned by convene"
[ "$(stat -c %a "$root/var/lib/convene")" = 750 ] || fail "/var/lib/convene mode"
[ -L "$root/etc/systemd/system/multi-user.target.wants/convene.service" ] ||
	fail "the service is not enabled"

# The unit as installed, verified in this root.
cp -an /usr/lib/systemd/system/. "$root/usr/lib/systemd/system/"
out=$(systemd-analyze verify --root="$root" --man=no convene.service 2>&1) ||
	fail "systemd-analyze verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify: $out"

# The installed default config parses; a store under the root (the program
# runs on this machine, so /var/lib/convene would be the machine's own).
"$root/usr/bin/convene" --config "$root/etc/convene/convene.conf" --help >/dev/null ||
	fail "the program does not run"
sed "s|^path = /var/lib/convene/|path = $root/var/lib/convene/|" \
	"$root/etc/convene/convene.conf" >"$work/kiosk.conf"
cat >"$work/roster.csv" <<'CSV'
name,organization,role,email,external_id,badge_uid
Ada Lovelace,Analytical Engines,attendee,ada@example.org,p-001,04A1B2C3D4E501
Grace Hopper,Navy,organizer,grace@example.org,p-002,04A1B2C3D4E502
CSV
conv() { "$root/usr/bin/convene" --config "$work/kiosk.conf" "$@"; }
conv import-roster "$work/roster.csv" >/dev/null || fail "import-roster"
conv status --json | grep -q '"people": *2' || fail "the store does not hold 2 people"
[ -s "$root/var/lib/convene/convene.db" ] || fail "no database in /var/lib/convene"

# An admin's edit of the conffile survives the upgrade.
sed -i 's/^name = Convene kiosk$/name = Hall B/' "$root/etc/convene/convene.conf"

# --- upgrade ---
dpkg_root -i "$v2"
dpkg-query --root="$root" -W -f='${Version}' convene | grep -qx 0.1.1 || fail "not upgraded"
grep -q '^name = Hall B$' "$root/etc/convene/convene.conf" || fail "conffile edit lost"
[ "$(grep -c '^convene:' "$root/etc/passwd")" = 1 ] || fail "user duplicated"
[ "$(stat -c %u "$root/var/lib/convene/convene.db")" = "$uid" ] ||
	fail "the database was not handed to convene"
conv status --json | grep -q '"people": *2' || fail "data lost in the upgrade"
conv status --json | grep -q '"schema_version": *[1-9]' || fail "no schema version"

# --- remove: data and config stay ---
dpkg_root -r convene
[ ! -e "$root/usr/bin/convene" ] || fail "program left after remove"
[ -s "$root/var/lib/convene/convene.db" ] || fail "data removed by remove"
[ -f "$root/etc/convene/convene.conf" ] || fail "config removed by remove"
[ ! -e "$root/etc/systemd/system/multi-user.target.wants/convene.service" ] ||
	fail "still enabled after remove"

# --- reinstall over the kept data, then purge ---
dpkg_root -i "$v2"
conv status --json | grep -q '"people": *2' || fail "kept data not found after reinstall"
dpkg_root -P convene
[ ! -e "$root/var/lib/convene" ] || fail "data left after purge"
[ ! -e "$root/etc/convene" ] || fail "config left after purge"
dpkg-query --root="$root" -W convene >/dev/null 2>&1 && fail "package still known after purge"

echo "package installed, upgraded, removed and purged in $root"
