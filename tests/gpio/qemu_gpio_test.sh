#!/bin/sh
# Tap feedback on real GPIO lines: boots Debian's own amd64 kernel in qemu
# with a busybox initramfs, makes a gpio-sim chip through configfs, and runs
# the feedback test program and `convene reader-check` from this machine's
# root, shared read-only over 9p. The kernel, its headers and its source
# come from the Debian archive through apt (cached in WORK_DIR): bookworm's
# kernel is built without CONFIG_GPIO_SIM, so when the module is missing it
# is built here from that same kernel's source, with the IRQ simulator it
# needs (also not built in). Skips (77) only when qemu or the kernel
# packages cannot be had.
# usage: qemu_gpio_test.sh TEST_PROGRAM CONVENE_PROGRAM WORK_DIR
set -eu
prog=$(realpath "$1")
convene=$(realpath "$2")
work=$(realpath -m "$3")
start=$(date +%s)

skip() {
	echo "SKIP: $*"
	exit 77
}
fail() {
	echo "FAIL: $*"
	exit 1
}

command -v qemu-system-x86_64 >/dev/null ||
	skip "qemu-system-x86_64 is not installed (package qemu-system-x86)"
for t in apt-get apt-cache dpkg-deb; do
	command -v $t >/dev/null || skip "$t is missing: the kernel packages cannot be had"
done
for t in cpio gzip make depmod xz tar; do
	command -v $t >/dev/null || fail "$t is missing (.ci/deps.sh --test)"
done

# The kernel linux-image-amd64 points at now, e.g. linux-image-6.1.0-57-amd64.
pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
	sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1)
[ -n "$pkg" ] || skip "apt knows no linux-image-amd64 (no Debian package sources?)"
kver=${pkg#linux-image-}
ver=$(apt-cache policy "$pkg" | sed -n 's/^ *Candidate: //p')
series=$(echo "$kver" | cut -d. -f1,2)
debs="$work/debs"
kdir="$work/kernel-$kver"
mkdir -p "$debs"

fetch() { # PACKAGE=VERSION...: into $debs unless there already
	need=""
	for p in "$@"; do
		ls "$debs/${p%%=*}_"*.deb >/dev/null 2>&1 || need="$need $p"
	done
	[ -z "$need" ] && return 0
	echo "downloading$need"
	# shellcheck disable=SC2086 # a list
	(cd "$debs" && apt-get download -q $need 2>&1 | grep -v '^W: Download is performed unsandboxed') ||
		true
	for p in "$@"; do
		ls "$debs/${p%%=*}_"*.deb >/dev/null 2>&1 || return 1
	done
}
fetch "$pkg=$ver" || skip "cannot download $pkg $ver (no network or no package source)"

if [ ! -e "$kdir/done" ]; then
	rm -rf "$kdir"
	mkdir -p "$kdir/root"
	dpkg-deb -x "$debs/${pkg}_"*.deb "$kdir/root"
	depmod -b "$kdir/root" "$kver"
	touch "$kdir/done"
fi
kroot="$kdir/root"
mods="$kroot/lib/modules/$kver"

# gpio-sim: the kernel's own module, or one built from its source.
sim_ko=""
if grep -q '^CONFIG_GPIO_SIM=m' "$kroot/boot/config-$kver"; then
	sim_ko=$(grep -E '/gpio-sim\.ko(\.xz)?:' "$mods/modules.dep" | cut -d: -f1)
	sim_ko="$mods/$sim_ko"
elif grep -q '^CONFIG_GPIO_SIM=y' "$kroot/boot/config-$kver"; then
	sim_ko=""
else
	sim_ko="$kdir/gpio-sim/gpio-sim.ko"
	if [ ! -s "$sim_ko" ]; then
		echo "$pkg has no gpio-sim (CONFIG_GPIO_SIM): building it from linux-source-$series $ver"
		fetch "linux-headers-$kver=$ver" "linux-headers-${kver%-amd64}-common=$ver" \
			"linux-kbuild-$series=$ver" "linux-source-$series=$ver" ||
			skip "cannot download the headers and source of $pkg $ver"
		h="$kdir/headers"
		rm -rf "$h" "$kdir/gpio-sim" "$kdir/src"
		mkdir -p "$h" "$kdir/gpio-sim" "$kdir/src"
		for d in "$debs/linux-headers-$kver"_*.deb "$debs/linux-headers-${kver%-amd64}-common"_*.deb \
			"$debs/linux-kbuild-$series"_*.deb; do
			dpkg-deb -x "$d" "$h"
		done
		# The headers' Makefile includes its sibling by absolute path.
		sed -i "s#/usr/src/#$h/usr/src/#" "$h/usr/src/linux-headers-$kver/Makefile"
		dpkg-deb --fsys-tarfile "$debs/linux-source-$series"_*.deb |
			tar -xO "./usr/src/linux-source-$series.tar.xz" | xz -dc |
			tar -x -C "$kdir/src" "linux-source-$series/drivers/gpio/gpio-sim.c" \
				"linux-source-$series/drivers/gpio/gpiolib.h" \
				"linux-source-$series/kernel/irq/irq_sim.c"
		s="$kdir/src/linux-source-$series"
		cp "$s/drivers/gpio/gpio-sim.c" "$kdir/gpio-sim/sim.c"
		cp "$s/drivers/gpio/gpiolib.h" "$s/kernel/irq/irq_sim.c" "$kdir/gpio-sim/"
		# irq_to_desc is not exported to modules; generic_handle_irq does
		# the same for the simulator's one-level domain.
		sed -i 's/handle_simple_irq(irq_to_desc(irqnum));/generic_handle_irq(irqnum);/' \
			"$kdir/gpio-sim/irq_sim.c"
		printf 'obj-m := gpio-sim.o\ngpio-sim-y := sim.o irq_sim.o\n' >"$kdir/gpio-sim/Kbuild"
		make -s -C "$h/usr/src/linux-headers-$kver" M="$kdir/gpio-sim" modules \
			>"$kdir/gpio-sim/build.log" 2>&1 || {
			cat "$kdir/gpio-sim/build.log"
			fail "building gpio-sim.ko for $kver failed"
		}
	fi
fi

# busybox: the machine's static one, or the package's.
bb=/bin/busybox
if ! [ -x $bb ] || ldd $bb >/dev/null 2>&1; then
	fetch busybox-static || skip "cannot download busybox-static"
	mkdir -p "$work/busybox"
	dpkg-deb -x "$debs"/busybox-static_*.deb "$work/busybox"
	bb="$work/busybox/bin/busybox"
fi

# The initramfs: busybox, the modules (dependencies first, from
# modules.dep), the guest's script and what it is to run.
t="$work/initramfs"
rm -rf "$t"
mkdir -p "$t/bin" "$t/lib/modules" "$t/proc" "$t/sys" "$t/dev" "$t/host"
cp "$bb" "$t/bin/busybox"
: >"$t/modules"
sh "$(dirname "$0")/../../firmware/image/copy-modules.sh" "$mods" "$t" configfs virtio_pci 9pnet_virtio 9p >/dev/null
if [ -n "$sim_ko" ]; then
	cp "$sim_ko" "$t/lib/modules/gpio-sim.ko"
	echo gpio-sim.ko >>"$t/modules"
fi
have_gpioset=0
command -v gpioset >/dev/null && have_gpioset=1
cat >"$t/params" <<EOF
prog='$prog'
convene='$convene'
gpioset=$(command -v gpioset || true)
EOF
cat >"$t/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
echo CONVENE-GPIO-BOOTED
. /params
done_with() {
	echo "CONVENE-GPIO-RESULT $1"
	poweroff -f
}
for m in $(cat /modules); do
	insmod /lib/modules/$m || done_with "insmod-$m"
done
mount -t configfs configfs /sys/kernel/config || done_with configfs
# A simulated chip of 8 lines with a label to look it up by.
c=/sys/kernel/config/gpio-sim/convene
mkdir $c $c/bank0 && echo 8 >$c/bank0/num_lines && echo convene-sim >$c/bank0/label &&
	echo 1 >$c/live || done_with gpio-sim
dev=$(cat $c/dev_name)
chip=$(cat $c/bank0/chip_name)
bank=/sys/devices/platform/$dev/$chip
echo "gpio-sim: $chip [convene-sim] at $bank"
# This machine's root, read-only, with the guest's kernel filesystems.
h=/host
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144 hostroot $h || done_with 9p
mount -t proc proc $h/proc
mount -t sysfs sys $h/sys
mount -t configfs configfs $h/sys/kernel/config
mount -t devtmpfs dev $h/dev
mount -t tmpfs run $h/run
mkdir -p $h/run/lock
env="env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/run"

chroot $h $env "$prog" "$chip" convene-sim "$bank"
rc=$?
echo "CONVENE-GPIO-PROGRAM $rc"

# reader-check reports the lines: opened, then one held by another program.
cat >$h/run/fb.conf <<CONF
[reader]
driver = nfc
connstring = pn532_uart:/dev/ttyS9
[feedback]
chip = convene-sim
led_line = 1
buzzer_line = 2
CONF
chroot $h $env "$convene" --config /run/fb.conf reader-check --wait 1 2>&1 |
	sed 's/^/reader-check: /'
if [ -n "$gpioset" ]; then
	chroot $h $env "$gpioset" --mode=signal "$chip" 2=1 &
	holder=$!
	sleep 1
	chroot $h $env "$convene" --config /run/fb.conf reader-check --wait 1 2>&1 |
		sed 's/^/reader-check busy: /'
	kill $holder
fi

# The kiosk itself, headless on the sim reader, once with a known badge
# (one pulse of each line) and once with a card of a random UID, refused
# (two). Each screen stays longer than its pattern, so the kiosk, which
# stops as soon as it is idle again, never cuts one short. The levels of
# both lines are sampled meanwhile, each change appended to a string.
k=$h/run/kiosk
mkdir -p $k
printf '%s\n' "name,organization,role,email,external_id,badge_uid" \
	"Ada Lovelace,Analytical Engines,attendee,ada@example.org,p-001,04A1B2C3D4E501" >$k/roster.csv
cat >$k/kiosk.conf <<CONF
[kiosk]
id = gpio-test
mode = checkin
[store]
path = /run/kiosk/convene.db
[reader]
driver = sim
script = /run/kiosk/tour.script
[audio]
sound = false
[flow]
message_ms = 3000
[feedback]
chip = $chip
led_line = 3
buzzer_line = 4
led_ms = 1000
buzzer_ms = 300
CONF
kenv="$env SDL_VIDEODRIVER=offscreen SDL_AUDIODRIVER=dummy HOME=/run/kiosk"
chroot $h $kenv "$convene" --config /run/kiosk/kiosk.conf import-roster /run/kiosk/roster.csv 2>&1 |
	tail -n 1 | sed 's/^/kiosk import: /'
mkfifo /tick
kiosk_run() { # NAME SCRIPT
	printf '%s\n' "$2" >$k/tour.script
	touch /sampling
	(
		led=x buzzer=x seq_led="" seq_buzzer=""
		while [ -e /sampling ]; do
			read -r l <$bank/sim_gpio3/value
			read -r b <$bank/sim_gpio4/value
			[ "$l" != "$led" ] && led=$l && seq_led="$seq_led$l"
			[ "$b" != "$buzzer" ] && buzzer=$b && seq_buzzer="$seq_buzzer$b"
			read -r -t 0.002 _ <>/tick
		done
		echo "kiosk $1: LED $seq_led buzzer $seq_buzzer"
	) &
	sampler=$!
	chroot $h $kenv "$convene" --config /run/kiosk/kiosk.conf run --headless --exit-when-done \
		2>&1 | grep -E "feedback|tap|random|error|warn" | sed "s/^/kiosk $1: /"
	rm /sampling
	wait $sampler
}
kiosk_run badge "100 tap 04A1B2C3D4E501"
kiosk_run refused "100 tap 08112233"
done_with $rc
INIT
chmod 755 "$t/init"
(cd "$t" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initramfs.gz"

log="$work/console.log"
# Runs the guest with accelerator $1 ("kvm" or "tcg"); returns 2 when it
# did not reach its init within $2 seconds (a guard against a stuck boot,
# not a measurement) or qemu could not start it, else 0 once qemu has
# exited. KVM gets qemu's default CPU model: "-cpu host" trips over MSRs
# that some nested hypervisors do not offer.
run_guest() {
	case $1 in
	kvm) accel="-enable-kvm" ;;
	*) accel="-accel tcg" ;;
	esac
	# shellcheck disable=SC2086 # accel is words
	qemu-system-x86_64 $accel -m 512 -smp 2 -nographic -no-reboot -nic none \
		-kernel "$kroot/boot/vmlinuz-$kver" -initrd "$work/initramfs.gz" \
		-append "console=ttyS0 panic=-1 loglevel=4" \
		-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
		</dev/null >"$log" 2>&1 &
	qemu=$!
	waited=0
	while kill -0 $qemu 2>/dev/null; do
		if [ $waited -ge "$2" ] && ! grep -q CONVENE-GPIO-BOOTED "$log"; then
			kill $qemu
			wait $qemu || true
			return 2
		fi
		if [ $waited -ge 900 ]; then
			kill $qemu
			echo "the guest ran for 900 s: stopped"
		fi
		sleep 1
		waited=$((waited + 1))
	done
	wait $qemu || echo "qemu exited with $?"
	grep -q CONVENE-GPIO-BOOTED "$log" || return 2
	return 0
}

boot=$(date +%s)
mode=${CONVENE_QEMU_ACCEL:-}
if [ -z "$mode" ]; then
	mode=tcg
	(exec 3<>/dev/kvm) 2>/dev/null && mode=kvm
fi
status=0
run_guest $mode 30 || status=$?
if [ $status = 2 ] && [ $mode = kvm ]; then
	# Nested KVM that cannot run a Linux guest (some cloud VMs): the
	# emulated CPU is slow but works everywhere.
	tail -n 3 "$log"
	echo "note: with KVM the guest did not reach its init in 30 s: emulating the CPU instead"
	echo "(set CONVENE_QEMU_ACCEL=tcg to go straight there)"
	mode=tcg
	boot=$(date +%s)
	status=0
	run_guest tcg 300 || status=$?
fi
[ $status = 0 ] || {
	tail -n 20 "$log"
	fail "the guest did not reach its init ($mode)"
}
end=$(date +%s)
tr -d '\r' <"$log" | sed -n '/gpio-sim:/,$p'

result=$(tr -d '\r' <"$log" | sed -n 's/^CONVENE-GPIO-RESULT \(.*\)$/\1/p' | tail -n 1)
[ -n "$result" ] || {
	tail -n 40 "$log"
	fail "the guest gave no result (console log: $log)"
}
[ "$result" = 0 ] || fail "the guest reported '$result' (console log: $log)"
want="reader-check: Feedback lines: opened OK: LED line 1, buzzer line 2 on gpiochip"
tr -d '\r' <"$log" | grep -q "^$want" || fail "reader-check did not report the lines opened"
if [ $have_gpioset = 1 ]; then
	want="reader-check busy: Feedback lines: cannot open: buzzer line 2 on gpiochip[0-9]* is busy: in use by 'gpioset'"
	tr -d '\r' <"$log" | grep -q "^$want" || fail "reader-check did not report the busy line"
fi
tr -d '\r' <"$log" | grep -q "^kiosk badge: LED 010 buzzer 010$" ||
	fail "the kiosk did not pulse each line once for a badge"
tr -d '\r' <"$log" | grep -q "^kiosk refused: LED 01010 buzzer 01010$" ||
	fail "the kiosk did not pulse each line twice for a refused card"
echo "PASS: kernel $kver ($mode): boot and tests $((end - boot)) s"
echo "total $(($(date +%s) - start)) s (downloads and the module build are cached in $work)"
