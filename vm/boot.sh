#!/usr/bin/env bash
# Boot polyport's real guest (vm/build.sh) under QEMU with one virtio vNIC on
# the tap TAP, which QEMU creates; the guest configures its sub-interfaces
# from --if specs, runs its test and powers off (see vm/init for the specs and
# the "PPVM ..." result lines).  The serial console goes to stdout.
#
# Usage: vm/boot.sh --tap TAP [options] --if SPEC [--if SPEC]...
#   --tap TAP          the tap QEMU creates (script=no: polyportd brings it up)
#   --mac MAC          the vNIC's MAC (default 52:54:00:00:00:01)
#   --if SPEC          match=untagged|vlan:N|qinq:S.C,addr=CIDR|dhcp[,mac=M]
#                      [,peer=IP][,tcp=PORT][,probe=IP]
#   --bytes N          TCP transfer size (default 1048576)
#   --offloads on|off  the vNIC's checksum offloads (default on, as QEMU
#                      does; off = csum=off,guest_csum=off and so no TSO/GSO)
#   --hold             keep the guest up after its test (until killed/timeout)
#   --ipv6             keep IPv6 on in the guest (addr6/gw6/peer6 in --if specs)
#   --timeout S        kill QEMU after S seconds whatever happens (default 60)
#   --mem MB           guest memory (default 128; below 80 it runs out)
#   --pidfile FILE     QEMU writes its PID there
#   --netdev-args ARGS the vNIC's QEMU arguments instead of the -netdev/-device
#                      pair made from --tap/--mac/--offloads (e.g. what
#                      `polyportctl plug --json` prints): words split on
#                      spaces; --tap is then not needed
#   --verbose          the kernel's boot messages too
#   --no-build         do not run vm/build.sh first
#   PP_VM_ACCEL=kvm    use KVM instead of TCG (default tcg)
# Exit: QEMU's status (0 after the guest powered off), 124 on timeout, 3 when
# the guest cannot be built (no packages: callers report a SKIP).
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
OUT=$TOP/build/vm
TAP= MAC=52:54:00:00:00:01 BYTES= OFFLOADS=on HOLD=0 TIMEOUT=60 MEM=128 IPV6=0
PIDFILE= QUIET="quiet loglevel=3" BUILD=1
IFSPECS=() NETARGS=()
usage() {	# usage STATUS: the header above, on stdout for --help
	sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//' >&"$(( $1 ? 2 : 1 ))"
	exit "$1"
}
while (($#)); do
	case "$1" in
	--tap) TAP=$2; shift ;;
	--mac) MAC=$2; shift ;;
	--if) IFSPECS+=("$2"); shift ;;
	--bytes) BYTES=$2; shift ;;
	--offloads) OFFLOADS=$2; shift ;;
	--hold) HOLD=1 ;;
	--ipv6) IPV6=1 ;;
	--timeout) TIMEOUT=$2; shift ;;
	--mem) MEM=$2; shift ;;
	--pidfile) PIDFILE=$2; shift ;;
	--netdev-args) read -ra NETARGS <<<"$2"; shift ;;
	--verbose) QUIET= ;;
	--no-build) BUILD=0 ;;
	-h | --help) usage 0 ;;
	*) echo "boot: unknown argument $1" >&2; usage 2 ;;
	esac
	shift
done
[[ -n "$TAP" || ${#NETARGS[@]} -gt 0 ]] || { echo "boot: --tap is required" >&2; exit 2; }
case "$OFFLOADS" in on | off) ;; *) echo "boot: --offloads on|off" >&2; exit 2 ;; esac
for s in "${IFSPECS[@]}"; do
	[[ "$s" == *" "* ]] && { echo "boot: no spaces in --if $s" >&2; exit 2; }
done
if ((BUILD)); then
	rc=0
	"$TOP/vm/build.sh" || rc=$?
	((rc == 0)) || exit "$rc"
fi
[[ -s "$OUT/vmlinuz" && -s "$OUT/initrd.img" ]] || { echo "boot: no guest in $OUT (vm/build.sh)" >&2; exit 3; }

append="console=ttyS0 panic=-1 $QUIET"
for s in "${IFSPECS[@]}"; do append+=" pp.if=$s"; done
[[ -n "$BYTES" ]] && append+=" pp.bytes=$BYTES"
((HOLD)) && append+=" pp.hold=1"
((IPV6)) && append+=" pp.ipv6=1"

# TCG by default: KVM is not usable on every machine that has /dev/kvm
# (nested, it can fail or hang); PP_VM_ACCEL=kvm asks for it.
accel=(-accel tcg -cpu max)
[[ "${PP_VM_ACCEL:-tcg}" == kvm ]] && accel=(-accel kvm -cpu host)
nic="virtio-net-pci,netdev=n0,mac=$MAC,romfile="
[[ "$OFFLOADS" == off ]] && nic+=",csum=off,guest_csum=off"

args=("${accel[@]}" -smp 1 -m "$MEM" -nodefaults -no-user-config -display none
	-serial stdio -no-reboot -name polyport-vm
	-kernel "$OUT/vmlinuz" -initrd "$OUT/initrd.img" -append "$append")
if ((${#NETARGS[@]})); then
	args+=("${NETARGS[@]}")
else
	args+=(-netdev "tap,id=n0,ifname=$TAP,script=no,downscript=no" -device "$nic")
fi
[[ -n "$PIDFILE" ]] && args+=(-pidfile "$PIDFILE")
# timeout passes SIGTERM on to QEMU, and SIGKILLs it 2 s later if needed
exec timeout -k 2 "$TIMEOUT" qemu-system-x86_64 "${args[@]}"
