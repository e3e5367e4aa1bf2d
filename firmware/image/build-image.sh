#!/bin/sh
# Builds a bootable SD-card image for one board profile from Debian packages
# and Convene's arm64 .deb, with no loop mounts and no binfmt_misc:
#   1. debootstrap --foreign downloads and unpacks an arm64 bookworm root;
#   2. qemu-system-aarch64 (the virt machine, Debian's arm64 kernel) boots it
#      once to run debootstrap's second stage and install the .deb;
#   3. genimage lays out the card: boot (FAT: the Pi firmware, kernel, DTBs
#      and the profile's config.txt), root (ext4, mounted read-only) and data
#      (ext4 with -d: the database and config; grown at first boot).
# usage: firmware/image/build-image.sh PROFILE DEB [OUT_DIR]
# needs: debootstrap qemu-system-arm genimage mtools dosfstools e2fsprogs cpio kmod
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
profile=$1
deb=$(realpath "$2")
out=${3:-$src/build-image/$profile}
boot_fragment="$src/board/boot/$profile.txt"
[ -f "$src/board/$profile.ini" ] || { echo "no board profile $profile" >&2; exit 2; }
mkdir -p "$out"
work="$out/work"
root="$work/root"
log="$out/build.log"
: >"$log"
say() { echo "== $*" | tee -a "$log"; }

# The machine's own Debian mirror (nothing about it is written down here).
mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p; s/^deb  *\(\[[^]]*\] *\)\{0,1\}\([^ ]*\) bookworm .*/\2/p' \
	/etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null | grep -v security | head -n 1)

packages="systemd-sysv,udev,kmod,dbus,linux-image-arm64,initramfs-tools,raspi-firmware,
cloud-guest-utils,fdisk,e2fsprogs,busybox-static,zstd,ca-certificates,
libsdl2-2.0-0,libsdl2-ttf-2.0-0,libsdl2-image-2.0-0,libsqlite3-0,libnfc6,libinih1,libcsv3,
libjansson4,libfontconfig1,libsystemd0,libgpiod2,libsodium23,libcurl4,libmicrohttpd12,zlib1g,
fonts-dejavu-core,libgl1-mesa-dri,libegl1,libgbm1,
libgles2,alsa-utils"
packages=$(echo "$packages" | tr -d '\n')

# --- 1. download and unpack (no emulation) ---
if [ ! -e "$root/debootstrap/debootstrap" ] && [ ! -e "$work/stage2.done" ]; then
	say "debootstrap stage 1 from $mirror"
	rm -rf "$root"
	debootstrap --foreign --arch=arm64 --variant=minbase \
		--components=main,non-free-firmware --include="$packages" \
		bookworm "$root" "$mirror" >>"$log" 2>&1
fi

# --- 2. second stage under qemu-system-aarch64 ---
if [ ! -e "$work/stage2.done" ]; then
	say "kernel and a small initramfs for the first boot"
	k="$work/kernel"
	rm -rf "$k" && mkdir -p "$k"
	for p in linux-image-6 busybox-static; do
		for d in "$root"/var/cache/apt/archives/${p}*_arm64.deb; do
			dpkg-deb -x "$d" "$k/x"
		done
	done
	kver=$(ls "$k/x/lib/modules" | head -n 1)
	cp "$k/x/boot/vmlinuz-$kver" "$work/vmlinuz"
	"$here/mkinitramfs-tiny.sh" "$k/x" "$kver" "$work/initrd-stage2.img" >>"$log" 2>&1

	# The image's own files: fstab, first-boot setup, a volatile journal.
	cp -a "$here/rootfs/." "$root/"
	mkdir -p "$root/data" "$root/boot/firmware"
	cp "$deb" "$root/convene.deb"
	cp "$here/stage2.sh" "$root/stage2.sh"
	chmod 755 "$root/stage2.sh"
	say "root filesystem image for the second stage"
	rm -f "$work/root.ext4"
	mke2fs -q -t ext4 -L cv-root -d "$root" "$work/root.ext4" 3G
	say "second stage under qemu-system-aarch64 (slow: emulated)"
	# cache=unsafe: dpkg syncs every file, and each flush costs dearly under
	# emulation; the file system is only used once qemu has exited cleanly
	# (stage2.sh syncs and powers off) and is checked with e2fsck below.
	timeout 3600 qemu-system-aarch64 -M virt -cpu cortex-a72 -smp 2 -m 2048 -nographic -nic none -device virtio-rng-pci \
		-kernel "$work/vmlinuz" -initrd "$work/initrd-stage2.img" \
		-append "console=ttyAMA0 root=/dev/vda rw init=/stage2.sh panic=5" \
		-drive "file=$work/root.ext4,format=raw,if=virtio,cache=unsafe" -no-reboot \
		>"$out/stage2-console.log" 2>&1
	grep -q "CONVENE-STAGE2-OK" "$out/stage2-console.log" || {
		tail -n 30 "$out/stage2-console.log"
		echo "second stage failed: $out/stage2-console.log" >&2
		exit 1
	}
	touch "$work/stage2.done"
fi

# --- 3. the card ---
say "boot partition"
parts="$work/parts"
boot="$parts/boot"
rm -rf "$parts" && mkdir -p "$boot"
files="$work/files"
rm -rf "$files" && mkdir -p "$files"
# Pull /boot and the firmware out of the root image without mounting it.
debugfs -R "rdump /boot $files" "$work/root.ext4" >>"$log" 2>&1
debugfs -R "rdump /usr/lib/raspi-firmware $files" "$work/root.ext4" >>"$log" 2>&1
kver=$(ls "$files/boot" | sed -n 's/^vmlinuz-//p' | head -n 1)
debugfs -R "rdump /usr/lib/linux-image-$kver/broadcom $files" "$work/root.ext4" >>"$log" 2>&1
cp -r "$files/raspi-firmware/." "$boot/"
cp "$files/boot/vmlinuz-$kver" "$boot/vmlinuz"
cp "$files/boot/initrd.img-$kver" "$boot/initrd.img"
cp "$files"/broadcom/bcm2711-rpi-4-b.dtb "$files"/broadcom/bcm2837-rpi-zero-2-w.dtb "$boot/" 2>/dev/null || true
cp "$files"/broadcom/bcm2712-rpi-5-b.dtb "$boot/" 2>/dev/null || true
{
	echo "# Convene: $profile"
	echo "arm_64bit=1"
	echo "kernel=vmlinuz"
	echo "initramfs initrd.img followkernel"
	echo "disable_splash=1"
	grep -v '^#cmdline' "$boot_fragment"
} >"$boot/config.txt"
cmdline="console=tty3 root=LABEL=cv-root ro rootwait fsck.repair=yes quiet"
for c in $(sed -n 's/^#cmdline+ //p' "$boot_fragment"); do cmdline="$cmdline $c"; done
echo "$cmdline" >"$boot/cmdline.txt"

say "data partition"
data="$parts/data"
rm -rf "$data" && mkdir -p "$data/convene" "$data/etc-convene"
debugfs -R "dump /etc/convene/convene.conf $data/etc-convene/convene.conf" "$work/root.ext4" >>"$log" 2>&1
debugfs -R "dump /etc/passwd $work/passwd" "$work/root.ext4" >>"$log" 2>&1
uid=$(awk -F: '$1 == "convene" { print $3 }' "$work/passwd")
sed -i "s/^board =.*/board = $profile/" "$data/etc-convene/convene.conf"
if [ -n "${CONVENE_IMAGE_EXTRA_DATA:-}" ]; then
	# The boot test's own config and environment.
	cp -r "$CONVENE_IMAGE_EXTRA_DATA/." "$data/"
fi
chown -R "$uid:$uid" "$data/convene"
chmod 750 "$data/convene"
touch "$data/.first-boot"

say "card layout"
sed "s|@PROFILE@|$profile|g" "$here/genimage.cfg" >"$work/genimage.cfg"
# The root partition is the second stage's file system, shrunk to fit.
e2fsck -fy "$work/root.ext4" >>"$log" 2>&1 || true
resize2fs -M "$work/root.ext4" >>"$log" 2>&1
blocks=$(dumpe2fs -h "$work/root.ext4" 2>/dev/null | sed -n 's/^Block count: *//p')
bsize=$(dumpe2fs -h "$work/root.ext4" 2>/dev/null | sed -n 's/^Block size: *//p')
truncate -s $((blocks * bsize + 64 * 1024 * 1024)) "$work/root.ext4"
resize2fs "$work/root.ext4" >>"$log" 2>&1
rm -rf "$work/genimage-tmp"
genimage --config "$work/genimage.cfg" --rootpath "$parts" --tmppath "$work/genimage-tmp" \
	--inputpath "$work" --outputpath "$out" >>"$log" 2>&1
say "image: $out/convene-$profile.img"
