#!/usr/bin/env bash
# End to end: `polyportctl apply -f` reads a binding file with the daemon's own
# loader (loader/config/), so that
#   - hostile YAML (an alias loop, a "billion laughs", 400 KB of "[", a
#     duplicate key) is refused at once with file:line:column, and nothing of
#     it reaches the API;
#   - what it sends is what the daemon reads from that file: a daemon given the
#     file through apply -f holds the same objects as a daemon reading it from
#     its directory, every scalar typed alike (True, TRUE, NULL, ~, 12345, ...).
# No traffic: the devices named do not exist (not an error for polyportd).
PPT_NAME=ctl
PPT_SCOPE=pptc	# its own names: other suites' cleanup never touches them
source "$(dirname "$0")/lib.sh"
suite_start

API=$WORK/api.sock
CTL=${PPT_CTL:-$B/polyportctl}	# PPT_CTL: another build, e.g. to see these checks fail
ctl() { "$CTL" --api-socket "$API" --pin-root "$PIN" "$@"; }
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
# objects: every object the daemon holds, as GET gives them, without what
# says where it came from (source, revision) or how it runs (status)
objects() {
	local k
	for k in networks instance-ports service-ports; do
		curl -s --unix-socket "$API" "http://localhost/v1/$k" |
			awk '/"status": \{/ { skip = 1 } skip { if (/\}/) skip = 0; next }
			     /"revision": |"source": / { next } { print }'
	done
}

# ---- the files ------------------------------------------------------------------------
# The daemon's own file: what the applied file refers to without defining it.
cat >"$WORK/base.yaml" <<'EOF'
networks:
  base-net: {device: pptcb0}
instance-ports:
  base-vm:
    device: pptcbtap
    mac: 52:54:00:0b:00:01
    service-ports:
      base-s: {vlan: 5, bind: {network: base-net}}
EOF
# Every key, scalars in the spellings the loader takes (polyportctl's old reader
# sent True as a boolean where a name was meant, NULL as a string where an
# empty mapping was meant).
cat >"$WORK/rich.yaml" <<'EOF'
networks:
  True: {device: pptcna, mtu: 1400, vlan: 7,
         gateway: {ipv4: 10.9.0.1, ipv6: 'fd00::1', mac: "02:00:00:00:00:aa"}}
  "123": {device: 12345}
  NULL: {device: pptcnn}
instance-ports:
  vm1:
    device: pptctap1
    mac: 52:54:00:0a:00:01
    mtu: 9000
    mode: tc
    service-ports:
      s1: {vlan: 100, bind: {network: True, responder: NULL}}
      s2:
        vlan: [300, 10]
        mac: 52:54:00:0a:00:02
        addresses: [10.9.0.5/24, "fd00::5/64"]
        bind:
          network: True
          responder: ~
          security:
            allowed-pairs: [{mac: 52:54:00:0a:00:02, ip: 10.9.0.5}]
            ingress:
              - {proto: tcp, ports: 22, action: allow}
              - {proto: icmp, icmp-type: 8, action: allow, from: 10.0.0.0/8}
            egress: [{action: allow}]
            default: drop
            allow-dhcp-server: False
            allow-ra: TRUE
          dhcp: {dns: [10.9.0.1], lease: 3600, mtu: 1400,
                 routes: [{to: 10.8.0.0/16, via: 10.9.0.1}]}
      s3: {untagged: True, bind: {network: 'NULL'}}
      s4:
        src-mac: |-
          52:54:00:0a:00:04
        bind: {network: "123", responder: }
service-ports:
  s5: {instance-port: base-vm, vlan: 6, mac: 52:54:00:0b:00:05,
       bind: {network: base-net, responder: Null}}
  s6: {instance-port: vm1, vlan: 101, bind: {network: base-net}}
EOF
printf 'networks: &a [*a]\n' >"$WORK/loop.yaml"
{
	echo "networks:"
	echo '  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'
	prev=a
	for n in b c d e f g h i; do
		echo "  $n: &$n [*$prev,*$prev,*$prev,*$prev,*$prev,*$prev,*$prev,*$prev,*$prev]"
		prev=$n
	done
} >"$WORK/laughs.yaml"
cat >"$WORK/dup.yaml" <<'EOF'
networks:
  pptc-dup:
    device: pptcd0
    mtu: 1500
    device: pptcd1
EOF
head -c 409600 /dev/zero | tr '\0' '[' >"$WORK/deep.yaml"
cat >"$WORK/conflict.yaml" <<'EOF'
service-ports:
  ok-1: {instance-port: base-vm, vlan: 8, mac: 52:54:00:0b:00:08, bind: {network: base-net}}
  clash: {instance-port: base-vm, vlan: 5, mac: 52:54:00:0b:00:09, bind: {network: base-net}}
EOF

# ---- daemon 1 reads base.yaml and rich.yaml from its directory -------------------------
CONF=$WORK/conf1 STATE=$WORK/state1
mkdir -p "$CONF" "$STATE"
cp "$WORK/base.yaml" "$CONF/10-base.yaml"
cp "$WORK/rich.yaml" "$CONF/20-rich.yaml"
daemon_start || exit 1
objects >"$WORK/from-files.txt"
daemon_stop
find "$PIN" -mindepth 1 -delete 2>/dev/null	# daemon 2 starts on an empty pin root
grep -q '"name": "s6"' "$WORK/from-files.txt" ||
	{ fail "ctl: daemon 1 did not read rich.yaml: $(tail -3 "$WORK/daemon.log" | tr '\n' ' ')"; exit 1; }

# ---- daemon 2 reads base.yaml; rich.yaml comes through apply -f --------------------------
CONF=$WORK/conf2 STATE=$WORK/state2
mkdir -p "$CONF" "$STATE"
cp "$WORK/base.yaml" "$CONF/10-base.yaml"
daemon_start || exit 1

# hostile files: refused by polyportctl itself, at once, within 256 MB
# refuse NAME FILE PATTERN: apply -f FILE exits 1 within 1 s, its errors match PATTERN
refuse() {
	local name=$1 file=$2 pat=$3 t0 ms rc out
	t0=$(date +%s%N)
	out=$( (ulimit -v 262144; timeout 20 "$CTL" --api-socket "$API" apply -f "$file") 2>&1)
	rc=$?
	ms=$(ms_since "$t0")
	echo "      measured: $(basename "$file") ($(stat -c %s "$file") bytes) refused in $ms ms: $(head -1 <<<"$out")"
	if [[ $rc == 1 && "$out" =~ $pat && $ms -lt 1000 ]]; then pass "$name"
	else fail "$name: rc=$rc in $ms ms: $(head -3 <<<"$out" | tr '\n' ' ')"; fi
}
refuse "ctl: apply -f refuses an alias loop at file:line:column" "$WORK/loop.yaml" \
	'loop\.yaml:1:15: YAML aliases are not supported'
refuse "ctl: apply -f refuses a billion-laughs file in under 1 s and 256 MB" "$WORK/laughs.yaml" \
	'laughs\.yaml:3:10: YAML aliases are not supported'
refuse "ctl: apply -f refuses a duplicate key, naming both places" "$WORK/dup.yaml" \
	'dup\.yaml:5:5: duplicate key "device" in network "pptc-dup", first at .*dup\.yaml:3:5'
refuse "ctl: apply -f refuses 400 KB of [ in under 1 s at file:line:column" "$WORK/deep.yaml" \
	'deep\.yaml:1:65: YAML nesting deeper than 64 levels'
out=$(curl -s --unix-socket "$API" http://localhost/v1/networks)
[[ "$out" != *'"source": "api"'* ]] && pass "ctl: nothing of a refused file reached the API" ||
	fail "ctl: the API holds objects after refused files: $(tr -d '\n' <<<"$out" | head -c 300)"

# the same objects as daemon 1 read from its files
out=$(ctl apply -f "$WORK/rich.yaml" 2>&1); rc=$?
objects >"$WORK/from-apply.txt"
echo "      compared: $(grep -c '"name": ' "$WORK/from-files.txt") named objects, $(wc -l <"$WORK/from-files.txt") lines of GET"
if [[ $rc == 0 ]] && diff -q "$WORK/from-files.txt" "$WORK/from-apply.txt" >/dev/null; then
	pass "ctl: apply -f holds what the daemon reads from the file (every object, typed alike)"
else
	fail "ctl: apply -f rc=$rc ($(tail -2 <<<"$out" | tr '\n' ' ')); differs from the files: $(diff "$WORK/from-files.txt" "$WORK/from-apply.txt" | grep '^[<>]' | head -4 | tr '\n' ' ')"
fi
out=$(ctl apply -f "$WORK/rich.yaml" 2>&1); rc=$?
objects >"$WORK/from-apply2.txt"
[[ $rc == 0 ]] && diff -q "$WORK/from-files.txt" "$WORK/from-apply2.txt" >/dev/null &&
	pass "ctl: apply -f again replaces them with the same objects" ||
	fail "ctl: apply -f again: rc=$rc $(tail -2 <<<"$out" | tr '\n' ' ')"

# a refusal by the daemon (a clash with its own file) names the object in the file
out=$(ctl apply -f "$WORK/conflict.yaml" 2>&1); rc=$?
[[ $rc == 1 && "$out" == *'conflict.yaml:3:3: service-ports "clash" was not applied'* ]] &&
	pass "ctl: a refusal by the daemon names the object's file:line:column" ||
	fail "ctl: conflict: rc=$rc $(tr '\n' ' ' <<<"$out")"

# the daemon reads binding files with the same loader: a 400 KB "[" file dropped
# into its directory is refused on reload at once, and its loop keeps serving
objects >"$WORK/before-deep.txt"
t0=$(date +%s%N)
cp "$WORK/deep.yaml" "$CONF/.30-deep.tmp" && mv "$CONF/.30-deep.tmp" "$CONF/30-deep.yaml"
ms=9999
for _ in $(seq 500); do
	grep -q 'nesting deeper than 64' "$STATE/status.json" 2>/dev/null && { ms=$(ms_since "$t0"); break; }
	sleep 0.01
done
echo "      measured: 400 KB of [ in the daemon's directory: rejected by its reload in $ms ms"
objects >"$WORK/after-deep.txt"
[[ $ms -lt 1000 ]] && grep -q '30-deep.yaml:1:65: YAML nesting deeper than 64' "$STATE/status.json" &&
	diff -q "$WORK/before-deep.txt" "$WORK/after-deep.txt" >/dev/null &&
	pass "ctl: the daemon's reload refuses 400 KB of [ in under 1 s at file:line:column, objects kept" ||
	fail "ctl: the daemon's reload of 400 KB of [: $ms ms, $(grep -o '"last_errors": "[^"]*' "$STATE/status.json" | head -c 200)"
rm -f "$CONF/30-deep.yaml"

daemon_stop
exit $FAILED
