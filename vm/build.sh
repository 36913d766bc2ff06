#!/usr/bin/env bash
# Build the real guest into build/vm/: the Debian cloud kernel (vmlinuz) and
# a busybox initramfs (initrd.img) holding vm/init, vm/udhcpc.sh and the
# modules a virtio vNIC with 802.1Q/802.1ad sub-interfaces needs, in
# dependency order (resolved with depmod -b, not hardcoded).
#
# Usage: vm/build.sh [--offline]   (fetches through vm/fetch.sh first)
# Reproducible: the same packages and scripts give the same bytes (fixed
# mtimes, owner 0:0, sorted cpio, gzip -n); nothing is rebuilt when the
# inputs did not change.  Exit 3 (from fetch.sh) when the packages cannot be
# had: callers report a SKIP.
set -euo pipefail
umask 022
cd "$(dirname "$0")/.."
TOP=$PWD
OUT=$TOP/build/vm
MODULES=(virtio_pci virtio_net 8021q)	# and what they depend on
EPOCH=${SOURCE_DATE_EPOCH:-0}
log() { echo "build: $*" >&2; }

rc=0
debs=$(vm/fetch.sh "$@") || rc=$?
((rc == 0)) || exit "$rc"
KERNEL_DEB=$(sed -n 's/^KERNEL_DEB=//p' <<<"$debs")
BUSYBOX_DEB=$(sed -n 's/^BUSYBOX_DEB=//p' <<<"$debs")

mkdir -p "$OUT"
inputs=$( {
	basename "$KERNEL_DEB"; basename "$BUSYBOX_DEB"
	printf '%s\n' "${MODULES[@]}"
	sha256sum vm/build.sh vm/init vm/udhcpc.sh
} | sha256sum | cut -c1-64)
if [[ -f "$OUT/inputs" && "$(cat "$OUT/inputs")" == "$inputs" &&
      -s "$OUT/vmlinuz" && -s "$OUT/initrd.img" ]]; then
	exit 0	# up to date
fi
rm -f "$OUT/inputs"

# ---- unpack ----------------------------------------------------------------
X=$OUT/unpacked
rm -rf "$X" "$OUT/root"
mkdir -p "$X/kernel" "$X/busybox"
dpkg-deb -x "$KERNEL_DEB" "$X/kernel"
dpkg-deb -x "$BUSYBOX_DEB" "$X/busybox"
KVER=$(ls -1 "$X/kernel/lib/modules" | head -1)
[[ -n "$KVER" && -f "$X/kernel/boot/vmlinuz-$KVER" ]] || { log "no kernel in $KERNEL_DEB"; exit 1; }
BB=$X/busybox/bin/busybox
[[ -x "$BB" ]] || { log "no busybox in $BUSYBOX_DEB"; exit 1; }

# ---- modules, dependencies first --------------------------------------------
KMOD=$X/kernel/lib/modules/$KVER
depmod -b "$X/kernel" "$KVER"
declare -A DEP SEEN
while IFS=: read -r mod deps; do
	DEP[$mod]=$deps
done <"$KMOD/modules.dep"
path_of() {	# module name -> its path in modules.dep
	local m=$1 p
	for p in "${!DEP[@]}"; do
		case "${p##*/}" in "$m.ko" | "$m.ko."*) echo "$p"; return 0 ;; esac
	done
	return 1
}
ORDER=()
visit() {	# depth first: a module after everything it needs
	local p=$1 d
	[[ -n "${SEEN[$p]:-}" ]] && return 0
	SEEN[$p]=1
	for d in ${DEP[$p]}; do visit "$d"; done
	ORDER+=("$p")
}
for m in "${MODULES[@]}"; do
	p=$(path_of "$m") || { log "module $m is not in $KVER (built in?)"; exit 1; }
	visit "$p"
done

# ---- the initramfs tree -------------------------------------------------------
R=$OUT/root
mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,etc,lib/modules}
cp "$BB" "$R/bin/busybox"
"$BB" --list-full | while read -r a; do
	[[ "$a" == bin/busybox ]] && continue
	mkdir -p "$R/$(dirname "$a")"
	ln -sf /bin/busybox "$R/$a"
done
install -m 0755 vm/init "$R/init"
install -m 0755 vm/udhcpc.sh "$R/etc/udhcpc.sh"
: >"$R/etc/modules"
for p in "${ORDER[@]}"; do
	case "$p" in *.ko) ;; *) log "$p is compressed: busybox insmod cannot load it"; exit 1 ;; esac
	n=$(basename "$p" .ko)
	cp "$KMOD/$p" "$R/lib/modules/$n.ko"
	echo "$n" >>"$R/etc/modules"
done
echo "polyport-vm" >"$R/etc/hostname"
# the first console the kernel opens (needs root; /init copes without it)
if [[ $(id -u) == 0 ]]; then mknod -m 600 "$R/dev/console" c 5 1; fi

find "$R" -exec touch -h -d "@$EPOCH" {} +
(cd "$R" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort |
	cpio -o -H newc -R 0:0 --reproducible --quiet) | gzip -9 -n >"$OUT/initrd.img.tmp"
mv "$OUT/initrd.img.tmp" "$OUT/initrd.img"
cp "$X/kernel/boot/vmlinuz-$KVER" "$OUT/vmlinuz"
{
	echo "kernel $KVER ($(basename "$KERNEL_DEB"))"
	echo "busybox $(basename "$BUSYBOX_DEB")"
	echo "modules ${ORDER[*]##*/}"
	(cd "$OUT" && sha256sum vmlinuz initrd.img)
} >"$OUT/manifest"
rm -rf "$X" "$R"
echo "$inputs" >"$OUT/inputs"
log "guest built: $KVER, initramfs $(stat -c %s "$OUT/initrd.img") bytes ($OUT)"
