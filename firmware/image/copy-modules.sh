#!/bin/sh
# Copies kernel modules with everything they depend on (from modules.dep,
# dependencies first) into a small initramfs, decompressed so busybox's
# insmod can load them, and appends their file names in load order to
# DEST/modules. A module that is not in modules.dep is built in: skipped.
# usage: copy-modules.sh MODULES_DIR DEST MODULE...
#   MODULES_DIR  lib/modules/VERSION of an extracted kernel package
#   DEST         the initramfs tree: modules go to DEST/lib/modules
set -eu
mods=$1
dest=$2
shift 2
mkdir -p "$dest/lib/modules"
touch "$dest/modules"
list=""
for m in "$@"; do
	line=$(grep -E "/$m\.ko(\.xz)?:" "$mods/modules.dep" || true)
	[ -n "$line" ] || continue
	for dep in $(echo "${line#*:}" | tr ' ' '\n' | tac) "${line%%:*}"; do
		case " $list " in *" $dep "*) ;; *) list="$list $dep" ;; esac
	done
done
for f in $list; do
	b=$(basename "$f")
	cp "$mods/$f" "$dest/lib/modules/$b"
	case $b in *.xz) xz -d "$dest/lib/modules/$b" && b=${b%.xz} ;; esac
	echo "$b" >>"$dest/modules"
done
echo "modules:$list"
