/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Taps for a compute service (issue 18, polyportctl plug/unplug/ifup/ifdown):
 * creating a persistent tap as QEMU will open it again (vnet header,
 * multi-queue, owner/group so an unprivileged QEMU can open it, MTU, the
 * polyport alias that binds it to an instance port by id), reading those
 * properties back, and naming each one that differs from what is wanted.
 *
 * Functions return 0 or -errno.  Properties are read from sysfs
 * (/sys/class/net/DEV/{tun_flags,owner,group,mtu,ifalias}), as `ip tuntap`
 * shows them.
 */
#ifndef PP_TAP_H
#define PP_TAP_H

#include <stdbool.h>
#include <stddef.h>
#include <net/if.h>

#define PP_TAP_ALIAS_MAX	128

/* What a tap should be; owner/group -1 and mtu 0: not asked for. */
struct pp_tap_want {
	const char *name;
	const char *alias;	/* "polyport:ID" */
	int queues;		/* > 1: IFF_MULTI_QUEUE */
	long owner, group;
	int mtu;
};

/* What a device is. */
struct pp_tap_state {
	bool exists;
	bool is_tap;		/* a tun/tap device in tap mode */
	bool is_tun;		/* a tun/tap device (tun_flags readable) */
	unsigned long flags;	/* tun_flags: IFF_TAP, IFF_VNET_HDR, IFF_MULTI_QUEUE, ... */
	long owner, group;	/* -1: none */
	int mtu;
	bool up;
	char alias[PP_TAP_ALIAS_MAX];
};

/* The state of device name; st->exists false (and 0) if there is none. */
int pp_tap_inspect(const char *name, struct pp_tap_state *st);

/*
 * Each property of st that conflicts with w, as "; "-separated phrases in
 * buf ("" if none).  An alias of none is no conflict (it can be set); one
 * that is not w->alias is.  Returns how many.
 */
int pp_tap_conflicts(const struct pp_tap_state *st, const struct pp_tap_want *w, char *buf,
		     size_t len);

/*
 * Create the persistent tap w->name (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR,
 * IFF_MULTI_QUEUE when w->queues > 1), owner, group, MTU and alias.  Fails
 * with -EEXIST if a device of that name exists; on a failure after the tap
 * was made, it is deleted again.
 */
int pp_tap_create(const struct pp_tap_want *w);

/*
 * Set the alias (IFLA_IFALIAS) of name; "" removes it.  The change is
 * announced (RTM_NEWLINK) also when the device is down, which the kernel
 * does not do for an alias alone (see announce() in tap.c).
 */
int pp_tap_set_alias(const char *name, const char *alias);

/* IFF_UP on or off (SIOCSIFFLAGS); nothing if it already is. */
int pp_tap_set_up(const char *name, bool up);

/* Delete device name (RTM_DELLINK).  -ENODEV if there is none. */
int pp_tap_delete(const char *name);

/* A user or group by name or number: its id, or -1 if there is none. */
long pp_tap_uid(const char *user);
long pp_tap_gid(const char *group);

#endif /* PP_TAP_H */
