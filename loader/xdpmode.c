// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * XDP or TC, per device: the mode decisions, XDP attach/detach/query, and
 * pp_xdp_tx (see xdpmode.h).  What the kernel says about a device comes from
 * links.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "links.h"
#include "util.h"
#include "xdpmode.h"

static const char *const pp_xdp_prog_names[] = { "pp_tap_xdp", "pp_net_xdp" };

/* Can a tag reach XDP as metadata through these offloads?  1/0 */
static bool tx_vlan_on(const struct pp_link_offloads *o)
{
	return o->on[PP_F_TXVLAN] == 1 || o->on[PP_F_TXVLAN_STAG] == 1;
}

static bool rx_vlan_on(const struct pp_link_offloads *o)
{
	return o->on[PP_F_RXVLAN] == 1 || o->on[PP_F_RXVLAN_STAG] == 1;
}

static bool rx_vlan_fixed_on(const struct pp_link_offloads *o)
{
	return (o->on[PP_F_RXVLAN] == 1 && o->fixed[PP_F_RXVLAN]) ||
	       (o->on[PP_F_RXVLAN_STAG] == 1 && o->fixed[PP_F_RXVLAN_STAG]);
}

/* ---- attach ------------------------------------------------------------------ */

/* Is program id one of polyport's XDP programs? */
static bool prog_is_ours(__u32 id)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);
	bool ours = false;

	if (fd < 0)
		return false;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len))
		for (unsigned i = 0; i < 2; i++)
			ours |= !strcmp(info.name, pp_xdp_prog_names[i]);
	close(fd);
	return ours;
}

int pp_xdp_attach(struct pp_dataplane *dp, int ifindex, enum pp_role role)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, o);
	struct bpf_prog_info info = {};
	__u32 cur, mode, len = sizeof(info);
	int fd = dp->xdp_prog_fd[role], err, old = -1;

	err = pp_link_xdp(ifindex, &cur, &mode);
	if (err)
		return err;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (cur == info.id)
		return 0;
	if (cur) {
		if (!prog_is_ours(cur))
			return -EBUSY;		/* another tool's XDP program */
		old = bpf_prog_get_fd_by_id(cur);
		if (old < 0)
			return -errno;
		o.old_prog_fd = old;
		err = bpf_xdp_attach(ifindex, fd, mode | XDP_FLAGS_REPLACE, &o);
		close(old);
		return err;
	}
	err = bpf_xdp_attach(ifindex, fd, XDP_FLAGS_DRV_MODE | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
	if (err == -EOPNOTSUPP)		/* no native XDP in this driver */
		err = bpf_xdp_attach(ifindex, fd, XDP_FLAGS_SKB_MODE | XDP_FLAGS_UPDATE_IF_NOEXIST,
				     NULL);
	return err;
}

int pp_xdp_detach(int ifindex)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, o);
	__u32 cur, mode;
	int err, old;

	err = pp_link_xdp(ifindex, &cur, &mode);
	if (err)
		return err == -ENODEV ? 0 : err;
	if (!cur || !prog_is_ours(cur))
		return 0;
	old = bpf_prog_get_fd_by_id(cur);
	if (old < 0)
		return errno == ENOENT ? 0 : -errno;
	o.old_prog_fd = old;	/* only if it is still that program */
	err = bpf_xdp_detach(ifindex, mode | XDP_FLAGS_REPLACE, &o);
	close(old);
	return err;
}

int pp_xdp_query(int ifindex, __u32 *prog_id)
{
	__u32 cur, mode;
	int err = pp_link_xdp(ifindex, &cur, &mode);

	*prog_id = 0;
	if (err)
		return err == -ENODEV ? 0 : err;
	if (cur && prog_is_ours(cur))
		*prog_id = cur;
	return 0;
}

/* ---- pp_xdp_tx ------------------------------------------------------------------- */

int pp_xdp_tx_set(struct pp_maps *m, int ifindex, bool on)
{
	__u32 k = ifindex, v = ifindex;

	if (ifindex <= 0)
		return -EINVAL;
	if (!on)
		return pp_map_del(m, PPM_XDP_TX, &k);
	if (pp_xdp_tx_get(m, ifindex) == 1)
		return 0;
	return pp_map_put(m, PPM_XDP_TX, &k, &v);
}

int pp_xdp_tx_get(const struct pp_maps *m, int ifindex)
{
	__u32 k = ifindex, v = 0;

	return !pp_map_get(m, PPM_XDP_TX, &k, &v) && v == (__u32)ifindex;
}

int pp_xdp_tx_ok(int ifindex, char *reason, size_t reason_len)
{
	struct pp_link l, peer;
	unsigned long fl;
	int err;

	err = pp_link_get_index(ifindex, -1, &l);
	if (err) {
		pp_say(reason, reason_len, "device %d: %s", ifindex, strerror(-err));
		return err;
	}
	if (!strcmp(l.kind, "tun")) {
		if (!pp_link_tun_flags(l.name, &fl) && (fl & IFF_TAP)) {
			pp_say(reason, reason_len, "%s is a tap: it takes XDP redirects", l.name);
			return 1;
		}
		pp_say(reason, reason_len, "%s is a tun device, not a tap", l.name);
		return 0;
	}
	if (!strcmp(l.kind, "veth")) {
		if (!l.link) {
			pp_say(reason, reason_len, "veth %s has no peer", l.name);
			return 0;
		}
		err = pp_link_get_index(l.link, l.link_nsid, &peer);
		if (err) {
			pp_say(reason, reason_len, "veth %s: its peer (ifindex %d, netns id %d): %s",
			    l.name, l.link, l.link_nsid, strerror(-err));
			return 0;
		}
		if (peer.xdp_drv_prog) {
			pp_say(reason, reason_len,
			    "veth %s: its peer %s (netns id %d) has XDP program %u: it takes "
			    "XDP redirects", l.name, peer.name, l.link_nsid, peer.xdp_drv_prog);
			return 1;
		}
		pp_say(reason, reason_len,
		    "veth %s: its peer %s (netns id %d) has no native XDP program: XDP "
		    "redirects to it would be dropped (GRO on the peer is not visible here)",
		    l.name, peer.name, l.link_nsid);
		return 0;
	}
	if (l.kind[0])
		pp_say(reason, reason_len, "%s is a %s device: no XDP transmit", l.name, l.kind);
	else
		pp_say(reason, reason_len, "%s: XDP transmit of its driver not probed", l.name);
	return 0;
}

int pp_xdp_tx_refresh(struct pp_maps *m, int ifindex, char *reason, size_t reason_len)
{
	int ok = pp_xdp_tx_ok(ifindex, reason, reason_len);
	int err = pp_xdp_tx_set(m, ifindex, ok == 1);

	return ok < 0 ? ok : err;
}

/* ---- modes ------------------------------------------------------------------------ */

int pp_mode_decide(const char *tap, int ifindex, enum pp_mode want, enum pp_mode *effective, char *reason,
		   size_t reason_len)
{
	unsigned long fl = 0;
	int err;

	*effective = PP_MODE_TC;
	if (want == PP_MODE_TC) {
		pp_say(reason, reason_len, "mode tc configured");
		return 0;
	}
	if (!tap || !tap[0] || ifindex <= 0) {
		pp_say(reason, reason_len, "the tap is absent");
		return 0;
	}
	err = pp_link_tun_flags(tap, &fl);
	if (want == PP_MODE_XDP) {
		*effective = PP_MODE_XDP;
		if (!err && (fl & IFF_VNET_HDR))
			pp_say(reason, reason_len, "mode xdp configured (the tap has a vnet header: "
			    "offloaded frames lose their checksum/GSO metadata)");
		else
			pp_say(reason, reason_len, "mode xdp configured");
		return 0;
	}
	if (err || !(fl & IFF_TAP)) {
		pp_say(reason, reason_len, "auto: %s is not a tap (%s)", tap,
		    err ? strerror(-err) : "tun_flags without IFF_TAP");
		return 0;
	}
	if (fl & IFF_VNET_HDR) {
		pp_say(reason, reason_len, "auto: the tap has a vnet header (IFF_VNET_HDR): "
		    "offloaded frames (partial checksums, GSO) need TC");
		return 0;
	}
	*effective = PP_MODE_XDP;
	pp_say(reason, reason_len, "auto: the tap has no vnet header: no offload metadata to lose");
	return 0;
}

/*
 * Network devices.  Two things decide, in this order:
 *
 * Isolation (whatever the mode): XDP must never see a frame whose tag was
 * moved into metadata, or it classifies the frame as untagged and delivers
 * it into the device's untagged network (measured on this kernel: a tag
 * that bpf_skb_vlan_push puts on a veth peer's egress reaches XDP on our end
 * as metadata, native and generic XDP alike; rx-vlan offload settings of our
 * end change nothing).  TC sees such a tag (vlan_present).  So XDP runs only
 * where that provably cannot happen:
 *   - a veth whose peer has tx-vlan-hw-insert and tx-vlan-stag-hw-insert
 *     off (read inside the peer's namespace): its transmit path then writes
 *     any metadata tag into the frame before the veth takes it
 *     (validate_xmit_vlan).  The peer is not ours to configure: polyportd
 *     only reads it, and follows its changes (polyportd listens to link
 *     events of every namespace with an id, NETLINK_LISTEN_ALL_NSID);
 *   - a NIC whose rx-vlan-hw-parse and rx-vlan-stag-hw-parse are off:
 *     polyportd turns them off before it attaches XDP, and leaves them off
 *     (TC needs no offload: the stack takes the tag out in software, and a
 *     network device is polyport's alone).  A NIC where they are fixed on
 *     stays on TC;
 *   - a tap or tun device (mode xdp only): what userspace writes keeps its
 *     tags in the frame until XDP has run (measured).
 *   Anything else (bridge, VXLAN, bond...) stays on TC.
 * Offload metadata (auto only): see pp_net_mode_decide() in xdpmode.h.
 *
 * nic: set to the NIC's name when XDP is decided for a NIC whose rx-VLAN
 * offloads must be turned off before XDP is attached, else "".
 */
static int net_decide(int ifindex, enum pp_mode want, enum pp_mode *effective, char *reason, size_t reason_len,
		      char nic[IF_NAMESIZE])
{
	const char *why = want == PP_MODE_XDP ? "an instance port on it is configured xdp;"
						  : "auto:";
	struct pp_link l, peer;
	struct pp_link_offloads o;
	int err;

	*effective = PP_MODE_TC;
	nic[0] = 0;
	if (want == PP_MODE_TC) {
		pp_say(reason, reason_len, "no instance port on it wants XDP");
		return 0;
	}
	err = pp_link_get_index(ifindex, -1, &l);
	if (err) {
		pp_say(reason, reason_len, "%s device %d: %s", why, ifindex, strerror(-err));
		return 0;
	}
	if (!l.kind[0]) {
		err = pp_link_offloads(-1, l.name, false, &o);
		if (err) {
			pp_say(reason, reason_len, "%s NIC %s: cannot read its offloads (%s)", why,
			    l.name, strerror(-err));
			return 0;
		}
		if (rx_vlan_fixed_on(&o)) {
			pp_say(reason, reason_len, "%s NIC %s: its rx-vlan offload is fixed on: a tag "
			    "it strips would look untagged to XDP", why, l.name);
			return 0;
		}
		*effective = PP_MODE_XDP;
		snprintf(nic, IF_NAMESIZE, "%s", l.name);
		pp_say(reason, reason_len, "%s %s is a NIC: its frames carry complete checksums; "
		    "rx-vlan offloads off%s", why, l.name,
		    rx_vlan_on(&o) ? " (turned off by polyportd)" : "");
		return 0;
	}
	if (!strcmp(l.kind, "veth")) {
		err = l.link ? pp_link_get_index(l.link, l.link_nsid, &peer) : -ENOENT;
		if (!err)
			err = pp_link_offloads(l.link_nsid, peer.name, false, &o);
		if (err) {
			pp_say(reason, reason_len, "%s veth %s: cannot read its peer's offloads (%s)",
			    why, l.name, strerror(-err));
			return 0;
		}
		if (tx_vlan_on(&o)) {
			pp_say(reason, reason_len, "%s veth %s: its peer %s has tx-vlan-offload on (a "
			    "tag may reach XDP as metadata)", why, l.name, peer.name);
			return 0;
		}
		if (want == PP_MODE_AUTO && o.tx_csum) {
			pp_say(reason, reason_len, "auto: veth %s: its peer %s has tx-checksumming on: "
			    "its frames may carry partial checksums, which need TC", l.name, peer.name);
			return 0;
		}
		*effective = PP_MODE_XDP;
		if (want == PP_MODE_AUTO)
			pp_say(reason, reason_len, "auto: veth %s: its peer %s has tx-checksumming off, "
			    "tx-vlan-offload off", l.name, peer.name);
		else
			pp_say(reason, reason_len, "%s veth %s: its peer %s has tx-vlan-offload off", why,
			    l.name, peer.name);
		return 0;
	}
	if (want == PP_MODE_XDP && !strcmp(l.kind, "tun")) {
		*effective = PP_MODE_XDP;
		pp_say(reason, reason_len, "%s %s is a tun/tap device: tags stay in its frames", why,
		    l.name);
		return 0;
	}
	if (want == PP_MODE_AUTO)
		pp_say(reason, reason_len, "auto: %s is a %s device: XDP gains nothing there", l.name,
		    l.kind);
	else
		pp_say(reason, reason_len, "%s %s is a %s device: whether tags reach it as metadata "
		    "cannot be told", why, l.name, l.kind);
	return 0;
}

int pp_net_mode_decide(int ifindex, enum pp_mode want, enum pp_mode *effective, char *reason, size_t reason_len)
{
	char nic[IF_NAMESIZE];

	return net_decide(ifindex, want, effective, reason, reason_len, nic);
}

int pp_xdp_net_peer(int ifindex, int *nsid)
{
	struct pp_link l;

	*nsid = -1;
	if (pp_link_get_index(ifindex, -1, &l) || strcmp(l.kind, "veth") || !l.link)
		return 0;
	*nsid = l.link_nsid;
	return l.link;
}

int pp_xdp_iport_apply(struct pp_dataplane *dp, int ifindex, const char *tap, enum pp_mode want,
		       enum pp_mode *effective, char *reason, size_t reason_len)
{
	size_t n;
	int err;

	err = pp_mode_decide(tap, ifindex, want, effective, reason, reason_len);
	if (err)
		return err;
	if (*effective == PP_MODE_XDP) {
		/* Deliveries toward it by XDP first, then its own frames. */
		err = pp_xdp_tx_set(&dp->maps, ifindex, true);
		if (!err)
			err = pp_xdp_attach(dp, ifindex, PP_ROLE_TAP);
		if (!err)
			return 0;
		*effective = PP_MODE_TC;
		n = reason ? strlen(reason) : 0;
		if (n < reason_len)
			pp_say(reason + n, reason_len - n, "; XDP not attached (%s): TC",
			    strerror(-err));
	}
	err = pp_xdp_detach(ifindex);
	if (!err)
		err = pp_xdp_tx_set(&dp->maps, ifindex, false);
	return err;
}

int pp_xdp_net_apply(struct pp_dataplane *dp, int ifindex, enum pp_mode want, enum pp_mode *effective,
		     char *reason, size_t reason_len)
{
	char tx[200], nic[IF_NAMESIZE];
	struct pp_link_offloads o;
	size_t n;
	int err;

	err = pp_xdp_tx_refresh(&dp->maps, ifindex, tx, sizeof(tx));
	if (err < 0 && err != -ENODEV)
		return err;
	err = net_decide(ifindex, want, effective, reason, reason_len, nic);
	if (err)
		return err;
	if (*effective == PP_MODE_XDP && nic[0]) {
		/* Before XDP sees a frame: no tag may be stripped into metadata. */
		err = pp_link_offloads(-1, nic, true, &o);
		if (err || rx_vlan_on(&o)) {
			*effective = PP_MODE_TC;
			n = reason ? strlen(reason) : 0;
			if (n < reason_len)
				pp_say(reason + n, reason_len - n, "; its rx-vlan offloads could not be "
				    "turned off (%s): TC", err ? strerror(-err) : "still on");
		}
	}
	if (*effective == PP_MODE_XDP) {
		err = pp_xdp_attach(dp, ifindex, PP_ROLE_NET);
		if (err) {
			*effective = PP_MODE_TC;
			n = reason ? strlen(reason) : 0;
			if (n < reason_len)
				pp_say(reason + n, reason_len - n, "; XDP not attached (%s): TC",
				    strerror(-err));
		}
	}
	if (*effective != PP_MODE_XDP) {
		err = pp_xdp_detach(ifindex);
		if (err)
			return err;
	}
	n = reason ? strlen(reason) : 0;
	if (n < reason_len)
		pp_say(reason + n, reason_len - n, "; as a target: %s", tx);
	return 0;
}
