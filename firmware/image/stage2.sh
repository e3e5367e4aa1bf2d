#!/bin/sh
# Runs as init in qemu-system-aarch64 on the image's own root: debootstrap's
# second stage, then Convene's package and the image's services, then off.
# "CONVENE-STAGE2-OK" on the console tells build-image.sh it worked.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
set -e
# raspi-firmware's scripts refuse to run unless /boot/firmware is a mount
# point (on a Pi it is the boot partition). The boot partition is laid out
# later from the packages' files, so what they copy here is thrown away.
mkdir -p /boot/firmware
mount -t tmpfs tmpfs /boot/firmware
/debootstrap/debootstrap --second-stage
# Everything but the root's packages' own: the program and first boot.
mount -t proc proc /proc 2>/dev/null || true
dpkg -i /convene.deb
rm -f /convene.deb
systemctl enable convene-firstboot.service convene-hostname.service
# A kiosk has no login prompt on the serial console's getty to wait for.
systemctl mask serial-getty@ttyAMA0.service
# The first boot makes its own machine id; the root is read-only after.
: >/etc/machine-id
apt-get clean
rm -rf /var/lib/apt/lists/*
umount /boot/firmware
sync
echo CONVENE-STAGE2-OK
mount -o remount,ro / || true
echo o >/proc/sysrq-trigger
# init must not exit while the power-off happens: the kernel would panic
sleep 60
