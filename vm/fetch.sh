#!/usr/bin/env bash
# Fetch the Debian packages the real guest is built from into a cache that
# lives outside git and is reused between runs:
#
#   linux-image-<abi>-cloud-amd64   the guest kernel and its modules (virtio-net,
#                                   8021q), ABI discovered with apt-cache
#   busybox-static                  the guest's userland (/init, ip, udhcpc, nc)
#
# Usage: vm/fetch.sh [--offline]
#   PP_VM_CACHE   the cache (default /var/cache/polyport-vm)
#
# Prints two lines for build.sh:  KERNEL_DEB=<path>  BUSYBOX_DEB=<path>
# Exits 0 when both are in the cache, 3 when they cannot be had (no network,
# no package lists): callers turn that into a SKIP.  --offline never asks apt
# for anything and uses the newest packages already in the cache.
set -euo pipefail
CACHE=${PP_VM_CACHE:-/var/cache/polyport-vm}
OFFLINE=0
[[ "${1:-}" == "--offline" ]] && OFFLINE=1
log() { echo "fetch: $*" >&2; }

mkdir -p "$CACHE"
# apt-get download runs as the _apt user where it exists: let it write here.
if id _apt >/dev/null 2>&1; then chown _apt "$CACHE" 2>/dev/null || true; fi

newest_cached() {	# PATTERN: the newest .deb in the cache matching it
	local f
	f=$(cd "$CACHE" && ls -1 $1 2>/dev/null | sort -V | tail -1) || true
	[[ -n "$f" ]] && echo "$CACHE/$f"
}

# The kernel package: what the linux-image-cloud-amd64 metapackage points at
# (the current ABI), else the newest linux-image-6.1.0-N-cloud-amd64 apt knows.
kernel_pkg() {
	local p
	p=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-cloud-amd64\)$/\1/p' | head -1)
	if [[ -z "$p" ]]; then
		p=$(apt-cache search --names-only '^linux-image-[0-9.]+-[0-9]+-cloud-amd64$' 2>/dev/null |
			awk '{print $1}' | sort -V | tail -1)
	fi
	echo "$p"
}

# candidates PKG...: "PKG VERSION" for each package apt has a candidate of
candidates() {
	apt-cache policy "$@" 2>/dev/null | awk '
		/^[^ ].*:$/ {p = substr($0, 1, length($0) - 1)}
		/Candidate:/ && $2 != "(none)" {print p, $2}'
}

# download PKG VER: that .deb into the cache (kept if already there)
download() {
	local pkg=$1 ver=$2 deb
	deb=$(ls -1 "$CACHE/${pkg}_${ver//:/%3a}_"*.deb 2>/dev/null | head -1 || true)
	if [[ -z "$deb" ]]; then
		log "downloading $pkg $ver"
		(cd "$CACHE" && timeout 300 apt-get download -q "$pkg=$ver" >&2) || return 1
		deb=$(ls -1 "$CACHE/${pkg}_${ver//:/%3a}_"*.deb 2>/dev/null | head -1 || true)
	fi
	[[ -n "$deb" ]] && echo "$deb"
}

KDEB= BDEB=
if ((!OFFLINE)); then
	kpkg=$(kernel_pkg)
	cand=$( [[ -n "$kpkg" ]] && candidates "$kpkg" busybox-static)
	if [[ -z "$kpkg" || $(wc -l <<<"$cand") -lt 2 ]]; then
		log "package lists are empty: apt-get update"
		timeout 300 apt-get update -qq >&2 || log "apt-get update failed"
		kpkg=$(kernel_pkg)
		cand=$( [[ -n "$kpkg" ]] && candidates "$kpkg" busybox-static)
	fi
	while read -r pkg ver; do
		[[ -n "$pkg" ]] || continue
		case "$pkg" in
		busybox-static) BDEB=$(download "$pkg" "$ver") || BDEB= ;;
		*) KDEB=$(download "$pkg" "$ver") || KDEB= ;;
		esac
	done <<<"$cand"
fi
# Offline, or apt could not deliver: whatever the cache already holds.
[[ -n "$KDEB" ]] || KDEB=$(newest_cached 'linux-image-*-cloud-amd64_*.deb') || true
[[ -n "$BDEB" ]] || BDEB=$(newest_cached 'busybox-static_*.deb') || true
if [[ -z "$KDEB" || -z "$BDEB" ]]; then
	log "cannot get the guest's packages (kernel: ${KDEB:-none}, busybox: ${BDEB:-none})"
	exit 3
fi
echo "KERNEL_DEB=$KDEB"
echo "BUSYBOX_DEB=$BDEB"
