/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Links: the one place polyport asks the kernel about a network device and
 * hears of its changes.  State (ifindex, up, kind, veth peer, the XDP program
 * on it) over rtnetlink through libnl-3, in our namespace or in another one
 * by its netns id; bringing a tap up; the per-device IPv6 sysctls; a tap's
 * tun flags; offloads over the ethtool ioctl, in any namespace; and the
 * link events of every namespace, for the daemon's event loop.
 *
 * Functions return 0 (or a documented value) or -errno: the kernel's own
 * errno, which the reasons shown to operators name.  Queries share one
 * rtnetlink socket for the process's life: call them from one thread.
 * This header needs no libnl header: its users need not know libnl.
 */
#ifndef PP_LINKS_H
#define PP_LINKS_H

#include <stdbool.h>
#include <net/if.h>
#include <linux/types.h>

/* ---- state ---------------------------------------------------------------------- */

struct pp_link {
	int ifindex;
	bool up;		/* IFF_UP */
	char name[IF_NAMESIZE];
	char kind[32];		/* IFLA_INFO_KIND, "" for none (a NIC) */
	int link;		/* IFLA_LINK: a veth's peer, 0 if none */
	int link_nsid;		/* IFLA_LINK_NETNSID, -1 if the peer is in our namespace */
	__u32 xdp_drv_prog;	/* native XDP program id, 0 if none */
	__u32 xdp_skb_prog;	/* generic XDP program id, 0 if none */
};

/* The link called name in our namespace.  -ENODEV if there is none. */
int pp_link_get(const char *name, struct pp_link *l);

/* The link ifindex in the namespace our namespace calls nsid (-1: ours). */
int pp_link_get_index(int ifindex, int nsid, struct pp_link *l);

/*
 * The links of our namespace whose alias (IFLA_IFALIAS) starts with prefix:
 * *out (malloc'd, the caller frees it; NULL when none) holds them with
 * their alias.  One dump of the namespace's links.  Returns how many, or
 * -errno.
 */
struct pp_link_alias {
	int ifindex;
	bool up;
	char name[IF_NAMESIZE];
	char alias[80];		/* longer ones are cut: they match no id */
};
int pp_link_aliases(const char *prefix, struct pp_link_alias **out);

/* The alias of link name (IFLA_IFALIAS, cut to len), "" if it has none.  0 or -errno. */
int pp_link_alias(const char *name, char *alias, size_t len);

/* ifindex of name (0 if absent or unreadable) and whether it is up. */
__u32 pp_link_state(const char *name, bool *up);

/*
 * The XDP program on ifindex: its id (0: none) and its attach mode
 * (XDP_FLAGS_DRV_MODE or XDP_FLAGS_SKB_MODE; 0 with no program).
 */
int pp_link_xdp(int ifindex, __u32 *prog_id, __u32 *mode);

/* Bring name up (IFF_UP), as a VIF plug does; nothing if it is up already. */
int pp_link_set_up(const char *name);

/* Set /proc/sys/net/ipv6/conf/DEV/KEY to val unless it is already. */
int pp_link_ipv6_conf_set(const char *dev, const char *key, char val);
/* The same for /proc/sys/net/FAMILY/conf/DEV/KEY (FAMILY "ipv4" or "ipv6"). */
int pp_link_conf_set(const char *family, const char *dev, const char *key, char val);

/* /sys/class/net/DEV/ATTR into buf, its trailing newline cut: its length (0: empty), or -errno. */
int pp_link_sysfs(const char *dev, const char *attr, char *buf, size_t len);

/* IFF_* flags of tun/tap device name (sysfs tun_flags); -errno if it is none. */
int pp_link_tun_flags(const char *name, unsigned long *flags);

/* The MAC address of device name (sysfs).  Returns 0 or -errno. */
int pp_link_mac(const char *name, __u8 mac[6]);

/* ---- offloads (ethtool), in any namespace --------------------------------------- */

/*
 * The features that decide whether a tag can reach XDP as metadata (the
 * kernel's names; `ethtool -k` shows the CTAG ones as tx-vlan-offload and
 * rx-vlan-offload, `ethtool -K` takes txvlan and rxvlan): a veth
 * peer transmitting with tx-vlan-hw-insert / tx-vlan-stag-hw-insert on
 * hands a tag it was given as metadata (by a bridge, a VLAN device, OVS,
 * bpf_skb_vlan_push) to the veth as metadata: XDP on our end sees the frame
 * without it.  With them off, the transmit path writes the tag into the
 * frame first (validate_xmit_vlan).  A NIC with rx-vlan-hw-parse /
 * rx-vlan-stag-hw-parse on strips the outer tag before XDP runs.
 */
enum pp_link_feature { PP_F_TXVLAN, PP_F_TXVLAN_STAG, PP_F_RXVLAN, PP_F_RXVLAN_STAG, PP_F_N };

struct pp_link_offloads {
	int tx_csum;		/* tx-checksumming: 1 on, 0 off */
	int on[PP_F_N];		/* 1 active, 0 off, -1 no such feature in this kernel */
	bool fixed[PP_F_N];	/* not changeable (not in the device's hw_features) */
};

/*
 * The offloads of device name in the namespace our namespace calls nsid (-1:
 * ours); with rx_vlan_off, its rx-VLAN offloads are turned off first.
 */
int pp_link_offloads(int nsid, const char *name, bool rx_vlan_off, struct pp_link_offloads *o);

/* ---- events ------------------------------------------------------------------------- */

/*
 * A link event: a link was created, changed (flags, offloads: ethtool -K is
 * one) or deleted, in our namespace (nsid -1; name as the event gives it)
 * or in another one that has an id in ours (nsid >= 0; name NULL).  Or
 * events were lost (lost: a socket buffer overran): every link may have
 * changed; why says what happened, NULL when there is nothing to add.
 */
struct pp_link_event {
	int nsid;
	int ifindex;
	const char *name;
	const char *alias;	/* IFLA_IFALIAS of our namespace's links, NULL if none */
	bool deleted;
	bool lost;
	const char *why;
};

typedef void pp_link_event_fn(const struct pp_link_event *e, void *arg);

struct pp_link_events;

/*
 * Listen to link events: of our namespace (the error if that fails), and
 * of every namespace with an id in ours (NETLINK_LISTEN_ALL_NSID): without
 * that second socket (pp_link_events_peers_err() says why) a veth peer's
 * changes are seen at the next full reconcile only.  fn is called from
 * pp_link_events_read().
 */
int pp_link_events_open(struct pp_link_events **ev, pp_link_event_fn *fn, void *arg);
int pp_link_events_peers_err(const struct pp_link_events *ev);
/* The fds to poll for input (1 or 2); returns how many. */
int pp_link_events_fds(const struct pp_link_events *ev, int fds[2]);
/* Read what fd (one of those) holds, without blocking, calling fn per event. */
void pp_link_events_read(struct pp_link_events *ev, int fd);
void pp_link_events_close(struct pp_link_events *ev);

#endif /* PP_LINKS_H */
