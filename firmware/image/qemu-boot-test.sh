#!/bin/sh
# Boots the SD-card image's root in qemu-system-aarch64 (virt machine,
# Debian's arm64 kernel and initramfs from the image's boot partition) until
# systemd reports convene.service started, which a Type=notify service is
# only once the program has said READY=1 after its first frame. The image is
# built with a test config (sim reader, SDL's offscreen video driver: the
# virt machine has no screen). Slow (emulated): outside the default suite.
# usage: firmware/image/qemu-boot-test.sh DEB [OUT_DIR]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
deb=$1
profile=pi4-pn532-uart-hdmi
out=${2:-$src/build-image/qemu-test}
mkdir -p "$out"

extra="$out/extra-data"
rm -rf "$extra" && mkdir -p "$extra/etc-convene"
cat >"$extra/etc-convene/convene.conf" <<CONF
[kiosk]
id = qemu-test
board = $profile
[store]
path = /var/lib/convene/convene.db
[reader]
driver = sim
[audio]
sound = false
CONF
printf 'SDL_VIDEODRIVER=offscreen\nSDL_AUDIODRIVER=dummy\n' >"$extra/etc-convene/environment"

CONVENE_IMAGE_EXTRA_DATA="$extra" "$here/build-image.sh" "$profile" "$deb" "$out"
img="$out/convene-$profile.img"
boot="$out/work/parts/boot"
log="$out/boot-console.log"
# A card is bigger than the image: room for the first boot to grow into.
cp "$img" "$out/card.img"
truncate -s +256M "$out/card.img"

qemu-system-aarch64 -M virt -cpu cortex-a72 -smp 2 -m 1024 -nographic -no-reboot -nic none -device virtio-rng-pci \
	-kernel "$boot/vmlinuz" -initrd "$boot/initrd.img" \
	-append "console=ttyAMA0 root=LABEL=cv-root ro rootwait panic=5 systemd.journald.forward_to_console=1" \
	-drive "file=$out/card.img,format=raw,if=virtio" >"$log" 2>&1 &
qemu=$!
ok=0
i=0
while [ $i -lt 900 ]; do
	if grep -q "Started.*Convene check-in kiosk" "$log"; then
		ok=1
		break
	fi
	if grep -qE "Failed to start.*Convene check-in kiosk|Kernel panic" "$log"; then
		break
	fi
	kill -0 $qemu 2>/dev/null || break
	sleep 2
	i=$((i + 2))
done
sleep 5
kill $qemu 2>/dev/null || true
wait $qemu 2>/dev/null || true
grep -E "Convene|convene|kiosk-" "$log" | tail -n 20
if [ $ok = 1 ]; then
	echo "booted until convene.service was ready in ${i}s; console log: $log"
	exit 0
fi
echo "FAIL: convene.service did not report ready; console log: $log"
exit 1
