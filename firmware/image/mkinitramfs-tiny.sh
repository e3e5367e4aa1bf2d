#!/bin/sh
# A minimal initramfs for the first (second-stage) boot in qemu: busybox and
# the modules that reach a virtio disk with ext4, then switch_root. Debian's
# own initramfs cannot be made yet: the root is not configured.
# usage: mkinitramfs-tiny.sh EXTRACTED_DEBS KERNEL_VERSION OUT
set -eu
x=$1
kver=$2
out=$(realpath -m "$3")
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
mkdir -p "$t/bin" "$t/lib/modules" "$t/proc" "$t/sys" "$t/dev" "$t/root"
cp "$x/bin/busybox" "$t/bin/busybox"
mods="$x/lib/modules/$kver"
# The package leaves modules.dep to its postinst: make it here.
[ -s "$mods/modules.dep" ] || depmod -b "$x" "$kver"
"$(dirname "$0")/copy-modules.sh" "$mods" "$t" virtio_pci virtio_blk virtio_rng crc32c_generic ext4
cat >"$t/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /modules); do insmod /lib/modules/$m; done
for i in 1 2 3 4 5 6 7 8 9 10; do [ -b /dev/vda ] && break; sleep 1; done
mount -t ext4 -o rw /dev/vda /root
init=$(sed -n 's/.*init=\([^ ]*\).*/\1/p' /proc/cmdline)
umount /proc /sys
mount --move /dev /root/dev 2>/dev/null || umount /dev
exec switch_root /root "${init:-/sbin/init}"
INIT
chmod 755 "$t/init"
(cd "$t" && find . | cpio -o -H newc --quiet | gzip -1) >"$out"
