#!/bin/sh
# udhcpc's event script in the real guest: apply the lease to $interface and
# report it on the serial console ("PPVM dhcp DEV EVENT ADDR/LEN router=R").
case "$1" in
deconfig)
	ip -4 addr flush dev "$interface"
	ip link set dev "$interface" up
	;;
bound|renew)
	ip -4 addr flush dev "$interface"
	ip addr add "$ip/${mask:-24}" dev "$interface"
	if [ -n "$router" ] && ! ip route show default | grep -q .; then
		ip route add default via "${router%% *}" dev "$interface"
	fi
	echo "PPVM dhcp $interface $1 $ip/${mask:-24} router=${router:-none} lease=${lease:-0}"
	;;
esac
exit 0
