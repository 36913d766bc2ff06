// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Puts a tag into skb metadata on a device's egress, as a bridge, a VLAN
 * device or OVS hands a veth its tag (clsact egress, `tc filter add dev D
 * egress bpf da obj vlan_meta.bpf.o sec tc`).  With the device's
 * tx-vlan-offload on, the tag stays metadata down to the peer of a veth,
 * where XDP cannot see it; with it off, the kernel writes it into the frame
 * before the veth takes it.
 *
 * Only frames whose source MAC is 02:00:ee:00:T.VV:VV get a tag: T (the
 * high nibble of the fifth byte) 0 for 0x8100, 8 for 0x88a8; VID the low
 * 12 bits of the last two bytes (02:00:ee:00:0b:b9 -> 0x8100/3001).  Every
 * other frame goes out unchanged.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

SEC("tc")
int vlan_meta(struct __sk_buff *ctx)
{
	__u8 src[6];
	__u16 tv;

	if (bpf_skb_load_bytes(ctx, 6, src, sizeof(src)))
		return TC_ACT_OK;
	if (src[0] != 0x02 || src[1] != 0x00 || src[2] != 0xee || src[3] != 0x00)
		return TC_ACT_OK;
	tv = (__u16)(src[4] << 8 | src[5]);
	bpf_skb_vlan_push(ctx, bpf_htons(tv & 0x8000 ? 0x88a8 : 0x8100), tv & 0x0fff);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
