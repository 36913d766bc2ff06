#!/usr/bin/env bash
# Install the Debian packages polyport needs to build, test and run.
# Idempotent and fast when everything is present; `apt-get update` runs only
# when something is missing.
set -euo pipefail

pkgs=(
	make gcc clang llvm pkg-config
	libclang-rt-14-dev				# make fuzz: libFuzzer and the sanitizers' runtimes
	clang-format-14					# make format-check
	libbpf-dev bpftool libelf-dev zlib1g-dev
	libnl-3-dev libnl-route-3-dev libyaml-dev libcmocka-dev libjson-c-dev
	libmicrohttpd-dev libcurl4-openssl-dev curl
	iproute2 iputils-ping ethtool tcpdump netcat-openbsd
	isc-dhcp-client					# a DHCP client for the dhcp service tests
	bird2						# the BGP speakers of e2e:l3-bgp
	qemu-system-x86 busybox-static cpio kmod	# the real guest (vm/)
	jq libvirt-clients libxml2-utils		# e2e:plug: JSON, virt-xml-validate of plug's libvirt XML
	openvswitch-switch gnuplot-nox linux-perf	# make bench: a peer, the plot, profiles
	iperf3						# make bench: VM -> remote VM over VXLAN (bench/vxlan.sh)
	etcd-server etcd-client openssl			# the store of cluster mode (issue 19), its test CA
)
pkgs+=("$@")

missing=()
for p in "${pkgs[@]}"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[[ "$st" == "install ok installed" ]] || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
	exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
	echo "deps: missing packages: ${missing[*]} (run as root to install them)" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
