// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* The loader library (see dataplane.h). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "dataplane.h"
#include "util.h"
#include "tap.skel.h"
#include "netdev.skel.h"
#include "tap_xdp.skel.h"
#include "netdev_xdp.skel.h"

int pp_bpffs_prepare(const char *pin_root)
{
	struct statfs st;

	if (strncmp(pin_root, "/sys/fs/bpf/", 12) == 0 &&
	    (statfs("/sys/fs/bpf", &st) || st.f_type != BPF_FS_MAGIC)) {
		if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700"))
			return -errno;
	}
	return pp_mkdir_p(pin_root, 0700);
}

/*
 * pp_xdp_tx, the devmap, is pinned here rather than by libbpf: the kernel
 * adds BPF_F_RDONLY_PROG to a devmap's flags but refuses it at creation, so
 * libbpf 1.1 never finds a pinned devmap compatible.  Open the pin (created
 * first if missing) and hand its fd to the object.
 */
static int pp_obj_devmap(struct bpf_object *obj, struct bpf_map *map, unsigned max_entries)
{
	/* pp_layouts: pinned at the pin root, never under next/ (loader/upgrade.c) */
	struct bpf_map *devs = bpf_object__find_map_by_name(obj, "pp_layouts");
	const char *ref = devs ? bpf_map__pin_path(devs) : NULL;
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char path[300];
	int fd, err;

	if (!ref || strlen(ref) >= sizeof(path))
		return 0;		/* nothing pinned: the object's own map */
	snprintf(path, sizeof(path), "%s", ref);
	snprintf(strrchr(path, '/') + 1, sizeof(path) - (strrchr(path, '/') + 1 - path), "%s",
		 bpf_map__name(map));
	fd = bpf_obj_get(path);
	if (fd < 0 && errno == ENOENT) {
		fd = bpf_map_create(bpf_map__type(map), bpf_map__name(map), bpf_map__key_size(map),
				    bpf_map__value_size(map), max_entries, NULL);
		if (fd < 0)
			return -errno;
		if (bpf_obj_pin(fd, path)) {
			err = -errno;
			close(fd);
			if (err != -EEXIST)
				return err;
			fd = bpf_obj_get(path);	/* pinned meanwhile */
		}
	}
	if (fd < 0)
		return -errno;
	if (bpf_obj_get_info_by_fd(fd, &info, &len) || info.type != bpf_map__type(map) ||
	    info.key_size != bpf_map__key_size(map) ||
	    info.value_size != bpf_map__value_size(map) || info.max_entries != max_entries) {
		close(fd);
		return -EINVAL;		/* another layout or size under our name */
	}
	err = bpf_map__reuse_fd(map, fd);
	close(fd);
	return err;
}

/* Give every map of obj the size chosen for it. */
int pp_obj_set_sizes(struct bpf_object *obj, const struct pp_map_sizes *s)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj) {
		for (int i = 0; i < PPM_COUNT; i++) {
			if (strcmp(bpf_map__name(map), pp_map_desc[i].name))
				continue;
			if (bpf_map__set_max_entries(map, pp_map_max_entries(s, i)))
				return -EINVAL;
			if (i == PPM_XDP_TX && pp_obj_devmap(obj, map, pp_map_max_entries(s, i)))
				return -EINVAL;
		}
	}
	return 0;
}

static int pp_map_fds(struct bpf_object *obj, int fds[PPM_COUNT])
{
	for (int i = 0; i < PPM_COUNT; i++) {
		struct bpf_map *map = bpf_object__find_map_by_name(obj, pp_map_desc[i].name);

		fds[i] = map ? bpf_map__fd(map) : -1;
		if (fds[i] < 0)
			return -ENOENT;
	}
	return 0;
}

/* The maps of next (a bit per enum pp_map_id) pinned under pin_root/next/ instead. */
static int pp_obj_pin_next(struct bpf_object *obj, const char *pin_root, unsigned long long next)
{
	char path[512];

	for (int i = 0; i < PPM_COUNT; i++) {
		struct bpf_map *map = bpf_object__find_map_by_name(obj, pp_map_desc[i].name);

		if (!(next & 1ull << i) || !map)
			continue;
		if (i == PPM_XDP_TX)
			return -EOPNOTSUPP;	/* pinned by pp_obj_devmap at the root */
		snprintf(path, sizeof(path), "%s/" PP_NEXT_DIR "/%s", pin_root, pp_map_desc[i].name);
		if (bpf_map__set_pin_path(map, path))
			return -EINVAL;
	}
	return 0;
}

int pp_dp_open(struct pp_dataplane *dp, const char *pin_root, const struct pp_map_sizes *s)
{
	return pp_dp_open_ex(dp, pin_root, s, 0);
}

int pp_dp_open_ex(struct pp_dataplane *dp, const char *pin_root, const struct pp_map_sizes *s,
		  unsigned long long next)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = pin_root);
	struct pp_map_sizes def;
	int fds[PPM_COUNT], err;

	memset(dp, 0, sizeof(*dp));
	for (int i = 0; i < PPM_COUNT; i++)
		dp->maps.fd[i] = -1;
	if (!s) {
		pp_map_sizes_default(&def);
		s = &def;
	}
	if (strlen(pin_root) >= sizeof(dp->pin_root))
		return -ENAMETOOLONG;
	strcpy(dp->pin_root, pin_root);
	err = pp_bpffs_prepare(pin_root);
	if (err)
		return err;

	dp->tap = tap_bpf__open_opts(&opts);
	dp->netdev = netdev_bpf__open_opts(&opts);
	dp->tap_xdp = tap_xdp_bpf__open_opts(&opts);
	dp->netdev_xdp = netdev_xdp_bpf__open_opts(&opts);
	if (!dp->tap || !dp->netdev || !dp->tap_xdp || !dp->netdev_xdp) {
		err = -errno;
		goto fail;
	}
	err = pp_obj_pin_next(dp->tap->obj, pin_root, next);
	if (!err)
		err = pp_obj_pin_next(dp->netdev->obj, pin_root, next);
	if (!err)
		err = pp_obj_pin_next(dp->tap_xdp->obj, pin_root, next);
	if (!err)
		err = pp_obj_pin_next(dp->netdev_xdp->obj, pin_root, next);
	if (!err)
		err = pp_obj_set_sizes(dp->tap->obj, s);
	if (!err)
		err = pp_obj_set_sizes(dp->netdev->obj, s);
	if (!err)
		err = pp_obj_set_sizes(dp->tap_xdp->obj, s);
	if (!err)
		err = pp_obj_set_sizes(dp->netdev_xdp->obj, s);
	if (err)
		goto fail;
	err = tap_bpf__load(dp->tap);
	if (!err)
		err = netdev_bpf__load(dp->netdev);
	if (!err)
		err = tap_xdp_bpf__load(dp->tap_xdp);
	if (!err)
		err = netdev_xdp_bpf__load(dp->netdev_xdp);
	if (err)
		goto fail;
	dp->prog_fd[PP_ROLE_TAP] = bpf_program__fd(dp->tap->progs.pp_tap_ingress);
	dp->prog_fd[PP_ROLE_NET] = bpf_program__fd(dp->netdev->progs.pp_net_ingress);
	dp->xdp_prog_fd[PP_ROLE_TAP] = bpf_program__fd(dp->tap_xdp->progs.pp_tap_xdp);
	dp->xdp_prog_fd[PP_ROLE_NET] = bpf_program__fd(dp->netdev_xdp->progs.pp_net_xdp);
	dp->egress_prog_fd = bpf_program__fd(dp->netdev->progs.pp_uplink_egress_tc);
	err = pp_map_fds(dp->tap->obj, fds);
	if (!err)
		err = pp_maps_adopt(&dp->maps, fds);
	if (err)
		goto fail;
	return 0;
fail:
	pp_dp_close(dp);
	return err;
}

void pp_dp_close(struct pp_dataplane *dp)
{
	pp_maps_close(&dp->maps);
	netdev_xdp_bpf__destroy(dp->netdev_xdp);
	tap_xdp_bpf__destroy(dp->tap_xdp);
	netdev_bpf__destroy(dp->netdev);
	tap_bpf__destroy(dp->tap);
	dp->netdev_xdp = NULL;
	dp->tap_xdp = NULL;
	dp->netdev = NULL;
	dp->tap = NULL;
}

/* ---- TC ------------------------------------------------------------------ */

int pp_dp_attach(struct pp_dataplane *dp, int ifindex, enum pp_role role)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, o, .handle = PP_TC_HANDLE, .priority = PP_TC_PRIO,
		    .prog_fd = dp->prog_fd[role], .flags = BPF_TC_F_REPLACE);
	int err;

	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST)
		return err;
	return bpf_tc_attach(&hook, &o);
}

int pp_dp_attach_egress(struct pp_dataplane *dp, int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, o, .handle = PP_TC_HANDLE, .priority = PP_TC_PRIO,
		    .prog_fd = dp->egress_prog_fd, .flags = BPF_TC_F_REPLACE);
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), id = 0;
	int err;

	if (bpf_obj_get_info_by_fd(dp->egress_prog_fd, &info, &len))
		return -errno;
	err = pp_tc_query_egress(ifindex, &id);
	if (err)
		return err;
	if (id == info.id)
		return 0;
	/* the clsact qdisc holds both directions: EEXIST once ingress has it */
	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST)
		return err;
	return bpf_tc_attach(&hook, &o);
}

static int pp_tc_detach_at(int ifindex, enum bpf_tc_attach_point at)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = at);
	LIBBPF_OPTS(bpf_tc_opts, o, .handle = PP_TC_HANDLE, .priority = PP_TC_PRIO);

	/* Only our filter goes: the clsact qdisc may carry other tools' filters. */
	return bpf_tc_detach(&hook, &o);
}

int pp_tc_detach(int ifindex)
{
	int err = pp_tc_detach_at(ifindex, BPF_TC_INGRESS), eerr;

	if (err == -ENOENT)
		err = 0;
	/* egress: only uplinks have one (none, or no qdisc: -ENOENT / -EINVAL) */
	eerr = err ? 0 : pp_tc_detach_at(ifindex, BPF_TC_EGRESS);
	return eerr == -ENOENT || eerr == -EINVAL ? err : eerr;
}

static int pp_tc_query_at(int ifindex, enum bpf_tc_attach_point at, __u32 *prog_id)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = at);
	LIBBPF_OPTS(bpf_tc_opts, o, .handle = PP_TC_HANDLE, .priority = PP_TC_PRIO);
	int err;

	*prog_id = 0;
	/*
	 * A query creates nothing: without a clsact qdisc the kernel answers
	 * -EINVAL ("Parent Qdisc doesn't exists"), without our filter -ENOENT;
	 * both mean none.  A device that is gone stays -ENODEV.
	 */
	err = bpf_tc_query(&hook, &o);
	if (err == -ENOENT || err == -EINVAL)
		return 0;
	if (err)
		return err;
	*prog_id = o.prog_id;
	return 0;
}

int pp_tc_query(int ifindex, __u32 *prog_id)
{
	return pp_tc_query_at(ifindex, BPF_TC_INGRESS, prog_id);
}

int pp_tc_query_egress(int ifindex, __u32 *prog_id)
{
	return pp_tc_query_at(ifindex, BPF_TC_EGRESS, prog_id);
}

/* ---- ordered writes ------------------------------------------------------ */

/* Delete key if it maps to the u32 value want (another owner's entry stays). */
static int del_if_owned(struct pp_maps *m, enum pp_map_id id, const void *key, __u32 want)
{
	__u32 cur;

	if (pp_map_get(m, id, key, &cur) || cur != want)
		return 0;
	return pp_map_del(m, id, key);
}

struct dev_scan {
	__u32 ifindex;
	__u32 untagged;
	bool vlans;
};

static int dev_scan_net(const void *key, const void *val, void *arg)
{
	const struct pp_net *n = val;
	struct dev_scan *ds = arg;

	/* a stretched network is never a device's own (its device: the VXLAN one) */
	if (n->ifindex != ds->ifindex || n->vni)
		return 0;
	if (n->vlan)
		ds->vlans = true;
	else
		ds->untagged = *(const __u32 *)key;
	return 0;
}

/* The host's VXLAN device (pp_vxlan[0], loader/vxlan.h), 0 if none. */
static __u32 vxlan_ifindex(struct pp_maps *m)
{
	struct pp_vxlan vx = {};

	return pp_vxlan_get(m, 0, &vx) ? 0 : vx.ifindex;
}

int pp_dp_vxlan_dev_put(struct pp_maps *m, __u32 ifindex)
{
	struct pp_dev dev = { .flags = PP_DEV_NET | PP_DEV_VXLAN, .ifindex = ifindex };

	return pp_map_put_changed(m, PPM_DEVS, &ifindex, &dev);
}

/* ---- trunk slots: pp_trunks, the direct index of a device's VLAN networks -- */

/* The trunk slot of network device ifindex, 0 if it has none. */
static __u32 trunk_of(struct pp_maps *m, __u32 ifindex)
{
	struct pp_dev dev;

	if (!ifindex || pp_dev_get(m, ifindex, &dev) || dev.ifindex != ifindex ||
	    !(dev.flags & PP_DEV_NET_VLANS) || dev.slot >= PP_MAX_TRUNKS)
		return 0;
	return dev.slot;
}

struct trunk_scan {
	struct pp_maps *m;
	bool used[PP_MAX_TRUNKS];
};

/* The slots in use: those of the devices of VLAN networks. */
static int trunk_used(const void *key, const void *val, void *arg)
{
	const struct pp_net *n = val;
	struct trunk_scan *ts = arg;

	(void)key;
	if (n->vlan)
		ts->used[trunk_of(ts->m, n->ifindex)] = true;
	return 0;
}

struct trunk_fill {
	struct pp_maps *m;
	__u32 ifindex, slot;
	int err;
};

static int trunk_fill_net(const void *key, const void *val, void *arg)
{
	const struct pp_net *n = val;
	struct trunk_fill *tf = arg;
	__u32 idx = PP_VLAN_IDX(tf->slot, n->vlan);

	if (n->ifindex == tf->ifindex && n->vlan && !tf->err)
		tf->err = pp_map_put_changed(tf->m, PPM_TRUNKS, &idx, key);
	return 0;
}

/*
 * A free trunk slot for device ifindex, its networks' entries written there;
 * 0 when every slot is taken (the device then goes by pp_netvlans).  Runs
 * once per device that gains its first VLAN network: a scan of pp_nets.
 */
static __u32 trunk_alloc(struct pp_maps *m, __u32 ifindex)
{
	struct trunk_scan ts = { .m = m, .used = { true } };	/* slot 0: none */
	struct trunk_fill tf = { .m = m, .ifindex = ifindex };

	if (!m->max_entries[PPM_TRUNKS] || m->trunks_full ||
	    pp_map_iter(m, PPM_NETS, trunk_used, &ts))
		return 0;
	for (tf.slot = 1; tf.slot < PP_MAX_TRUNKS && ts.used[tf.slot]; tf.slot++)
		;
	if (tf.slot == PP_MAX_TRUNKS) {
		m->trunks_full = true;	/* until one is given back */
		return 0;
	}
	if (pp_map_iter(m, PPM_NETS, trunk_fill_net, &tf) || tf.err)
		return 0;
	return tf.slot;
}

/* Network net_id leaves (ifindex, vlan): its trunk entry goes, if it is its. */
static int trunk_drop(struct pp_maps *m, __u32 ifindex, __u16 vlan, __u32 net_id)
{
	__u32 slot = trunk_of(m, ifindex), idx = PP_VLAN_IDX(slot, vlan);

	if (!slot || !vlan)
		return 0;
	return del_if_owned(m, PPM_TRUNKS, &idx, net_id);
}

/* Recompute the device entry of a network device from the networks on it. */
static int pp_dev_sync_net(struct pp_maps *m, __u32 ifindex)
{
	struct dev_scan ds = { .ifindex = ifindex };
	struct pp_dev dev = {}, cur = {};
	__u32 slot = trunk_of(m, ifindex);
	int err;

	if (!ifindex)
		return 0;
	if (!pp_dev_get(m, ifindex, &cur) && (cur.flags & PP_DEV_TAP) && cur.ifindex == ifindex)
		return -EBUSY;		/* a tap: never both */
	if (ifindex == vxlan_ifindex(m))
		return pp_dp_vxlan_dev_put(m, ifindex);
	err = pp_map_iter(m, PPM_NETS, dev_scan_net, &ds);
	if (err)
		return err;
	if (ds.untagged || ds.vlans) {
		dev.flags = PP_DEV_NET | (ds.vlans ? PP_DEV_NET_VLANS : 0);
		dev.net_id = ds.untagged;
		dev.slot = ds.vlans ? slot : 0;
		dev.ifindex = ifindex;
	}
	err = pp_map_put_changed(m, PPM_DEVS, &ifindex, &dev);
	if (slot && !dev.slot)
		m->trunks_full = false;
	/* a trunk slot given back: nothing of it is left for its next device */
	for (__u32 v = 0; !err && slot && !dev.slot && v < PP_VID_SLOTS; v++) {
		__u32 idx = PP_VLAN_IDX(slot, v), zero = 0;

		err = pp_map_put_changed(m, PPM_TRUNKS, &idx, &zero);
	}
	return err;
}

/*
 * A network joins its device: the device entry gains it without a scan
 * (leaving needs one: pp_dev_sync_net).
 */
static int pp_dev_add_net(struct pp_maps *m, __u32 net_id, const struct pp_net *net)
{
	__u32 ifindex = net->ifindex;
	struct pp_dev dev = {};

	if (!ifindex)
		return 0;
	if (!pp_dev_get(m, ifindex, &dev) && (dev.flags & PP_DEV_TAP) && dev.ifindex == ifindex)
		return -EBUSY;		/* a tap: never both */
	if (net->vni)	/* only through the host's VXLAN device (else no entry) */
		return ifindex == vxlan_ifindex(m) ? pp_dp_vxlan_dev_put(m, ifindex) : 0;
	if (!(dev.flags & PP_DEV_NET) || dev.ifindex != ifindex)
		dev = (struct pp_dev){ .ifindex = ifindex };
	if (net->vlan) {
		/* its trunk entry (or a new slot, filled), before the device names it */
		__u32 idx = PP_VLAN_IDX(dev.slot, net->vlan);
		int err;

		if (!(dev.flags & PP_DEV_NET_VLANS) || dev.slot >= PP_MAX_TRUNKS)
			dev.slot = 0;
		if (!dev.slot)
			dev.slot = trunk_alloc(m, ifindex);
		else if ((err = pp_map_put_changed(m, PPM_TRUNKS, &idx, &net_id)))
			return err;
	}
	dev.flags |= PP_DEV_NET | (net->vlan ? PP_DEV_NET_VLANS : 0);
	if (!net->vlan)
		dev.net_id = net_id;
	return pp_map_put_changed(m, PPM_DEVS, &ifindex, &dev);
}

int pp_dp_net_install(struct pp_maps *m, __u32 net_id, const struct pp_net *want)
{
	struct pp_net old = {}, v = *want, *net = &v;
	int err;

	if (!net_id || net_id >= m->max_entries[PPM_NETS])
		return -ERANGE;
	pp_net_get(m, net_id, &old);
	v.lone_sport = old.lone_sport;	/* the service ports' (flood_update) */
	/*
	 * Unchanged or not, its device entries are derived again (written only
	 * where they differ): a kill -9 after its entry was written may have
	 * left them out.
	 */
	err = pp_map_put_changed(m, PPM_NETS, &net_id, net);
	if (err)
		return err;
	if (net->ifindex && net->vlan) {
		struct pp_netvlan_key k = { .ifindex = net->ifindex, .vid = net->vlan };

		err = pp_map_put_changed(m, PPM_NETVLANS, &k, &net_id);
		if (err)
			return err;
	}
	err = pp_dev_add_net(m, net_id, net);
	if (err)
		return err;
	/* a stretched network: its VNI names it once its entry says so */
	if (net->vni && (err = pp_map_put_changed(m, PPM_VNIS, &net->vni, &net_id)))
		return err;
	if (old.vni && old.vni != net->vni && (err = del_if_owned(m, PPM_VNIS, &old.vni, net_id)))
		return err;
	if (old.ifindex && (old.ifindex != net->ifindex || old.vlan != net->vlan)) {
		struct pp_netvlan_key k = { .ifindex = old.ifindex, .vid = old.vlan };

		if (old.vlan && ((err = trunk_drop(m, old.ifindex, old.vlan, net_id)) ||
				 (err = del_if_owned(m, PPM_NETVLANS, &k, net_id))))
			return err;
		return pp_dev_sync_net(m, old.ifindex);
	}
	return 0;
}

int pp_dp_nets_remove(struct pp_maps *m, const __u32 *ids, size_t n)
{
	__u32 *devs = calloc(n + 1, sizeof(*devs));
	size_t ndevs = 0, i, j;
	int err = 0;

	if (!devs)
		return -ENOMEM;
	for (i = 0; i < n && !err; i++) {
		struct pp_net old = {}, zero = {};
		__u32 net_id = ids[i];

		if (pp_net_get(m, net_id, &old))
			continue;
		/* Its device's index entries first: the entry says where they are. */
		if (old.ifindex && old.vlan) {
			struct pp_netvlan_key k = { .ifindex = old.ifindex, .vid = old.vlan };

			err = trunk_drop(m, old.ifindex, old.vlan, net_id);
			if (!err)
				err = del_if_owned(m, PPM_NETVLANS, &k, net_id);
		}
		if (!err && old.vni)
			err = del_if_owned(m, PPM_VNIS, &old.vni, net_id);
		if (!err)
			err = pp_map_put_changed(m, PPM_NETS, &net_id, &zero);
		for (j = 0; j < ndevs && devs[j] != old.ifindex; j++)
			;
		if (old.ifindex && j == ndevs)
			devs[ndevs++] = old.ifindex;
	}
	/* Each device's entry re-derived once, whatever left it. */
	for (j = 0; j < ndevs; j++) {
		int e = pp_dev_sync_net(m, devs[j]);

		if (e && !err)
			err = e;
	}
	free(devs);
	return err;
}

int pp_dp_net_remove(struct pp_maps *m, __u32 net_id)
{
	return pp_dp_nets_remove(m, &net_id, 1);
}

/* Zero the device entry of ifindex if it is slot's tap. */
static int pp_dev_drop_tap(struct pp_maps *m, __u32 ifindex, __u32 slot)
{
	struct pp_dev cur;

	if (!ifindex || pp_dev_get(m, ifindex, &cur) || !(cur.flags & PP_DEV_TAP) ||
	    cur.slot != slot)
		return 0;
	return pp_dev_del(m, ifindex);
}

/* Bind tap ifindex to instance port slot: pp_devs {TAP, slot} (-EBUSY: a network device). */
static int pp_dev_bind_tap(struct pp_maps *m, __u32 ifindex, __u32 slot)
{
	struct pp_dev dev = { .flags = PP_DEV_TAP, .slot = slot, .ifindex = ifindex };
	struct pp_dev cur;

	if (!ifindex)
		return 0;
	if (ifindex >= m->max_entries[PPM_DEVS])
		return -E2BIG;
	if (!pp_dev_get(m, ifindex, &cur) && (cur.flags & PP_DEV_NET) && cur.ifindex == ifindex)
		return -EBUSY;		/* a network device: never both */
	return pp_map_put_changed(m, PPM_DEVS, &ifindex, &dev);
}

_Static_assert(offsetof(struct pp_iport, ifindex) == 0 &&
	       offsetof(struct pp_iport, flags) == sizeof(__u32),
	       "pp_iport: ifindex first, alone in its word");

/*
 * pp_iports[slot] = v, all but its ifindex, which the programs write (a
 * standby's activation, lib/dataplane.h pp_vm_tap_active): the other fields
 * are written in place beside it, never over it.  A map that is not
 * mmapped is read and written whole, ifindex as it was read (a window in
 * which an activation can be written back: polyportd's pp_iports always
 * is mmapped).
 */
static int iport_put_fields(struct pp_maps *m, __u32 slot, const struct pp_iport *v)
{
	const size_t off = offsetof(struct pp_iport, flags), n = sizeof(*v) - off;
	unsigned char *e = pp_map_elem(m, PPM_IPORTS, slot);
	struct pp_iport w = *v, cur;
	int err;

	if (!e) {
		err = pp_iport_get(m, slot, &cur);
		if (err)
			return err;
		w.ifindex = cur.ifindex;
		return pp_map_put_changed(m, PPM_IPORTS, &slot, &w);
	}
	if (!memcmp(e + off, (const unsigned char *)v + off, n))
		return 0;
	/* as pp_map_put writes an entry: in program order for the programs */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	memcpy(e + off, (const unsigned char *)v + off, n);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	m->writes++;
	return 0;
}

/*
 * pp_iports[slot].ifindex = want by compare-and-swap from *seen: 0, or
 * -EAGAIN with *seen = what it is (the programs activated the standby since
 * the caller read it; ifindex left as it is).  No write when it is want.
 * A map that is not mmapped: read, compared, written (the programs' store
 * can land in between and be written over: polyportd's pp_iports always is
 * mmapped).
 */
static int iport_cas_ifindex(struct pp_maps *m, __u32 slot, __u32 want, __u32 *seen)
{
	__u32 *e = pp_map_elem(m, PPM_IPORTS, slot), cur;
	struct pp_iport v;
	int err;

	if (!e) {
		err = pp_iport_get(m, slot, &v);
		if (err)
			return err;
		if (v.ifindex != *seen) {
			*seen = v.ifindex;
			return -EAGAIN;
		}
		v.ifindex = want;
		return pp_map_put_changed(m, PPM_IPORTS, &slot, &v);
	}
	cur = __atomic_load_n(e, __ATOMIC_ACQUIRE);
	if (cur == *seen && cur == want)
		return 0;
	if (cur != *seen ||
	    !__atomic_compare_exchange_n(e, &cur, want, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
		*seen = cur;
		return -EAGAIN;
	}
	m->writes++;
	return 0;
}

int pp_dp_iport_install(struct pp_maps *m, __u32 slot, const struct pp_iport *want, __u32 *seen)
{
	struct pp_iport old = {}, v = *want, *ip = &v;
	__u32 prev[3];
	int err;

	if (!slot || slot >= m->max_entries[PPM_IPORTS])
		return -ERANGE;
	if (!ip->mtu)
		return -EINVAL;		/* the MTU marks an installed instance port */
	if (ip->standby && ip->standby == ip->ifindex)
		return -EINVAL;
	if (ip->ifindex >= m->max_entries[PPM_DEVS] || ip->standby >= m->max_entries[PPM_DEVS])
		return -E2BIG;
	pp_iport_get(m, slot, &old);
	/* The classifier fields belong to the service ports installed on it. */
	v.untagged_sport = old.untagged_sport;
	v.flags = (v.flags & ~PP_IPORT_HAS_SRCMAC) | (old.flags & PP_IPORT_HAS_SRCMAC);
	/*
	 * Both taps bound before the entry names them: the programs send to
	 * ifindex only if pp_devs binds it to the slot (pp_slot_tap), and take
	 * the standby's frames only from a bound tap.
	 */
	err = pp_dev_bind_tap(m, ip->ifindex, slot);
	if (!err)
		err = pp_dev_bind_tap(m, ip->standby, slot);
	if (err)
		return err;
	if (!seen) {
		err = pp_map_put_changed(m, PPM_IPORTS, &slot, ip);
		prev[2] = 0;
	} else {
		prev[2] = *seen;
		err = iport_put_fields(m, slot, ip);
		if (!err)
			err = iport_cas_ifindex(m, slot, ip->ifindex, seen);
	}
	if (err)
		return err;	/* -EAGAIN: what it had stays bound, the caller decides again */
	/* the taps it named before and names no more: unbound */
	prev[0] = old.ifindex;
	prev[1] = old.standby;
	for (int i = 0; i < 3; i++) {
		if (prev[i] == ip->ifindex || prev[i] == ip->standby)
			continue;
		err = pp_dev_drop_tap(m, prev[i], slot);
		if (err)
			return err;
	}
	return 0;
}

int pp_dp_tap_bind(struct pp_maps *m, __u32 slot, __u32 ifindex)
{
	if (!slot || slot >= m->max_entries[PPM_IPORTS])
		return -ERANGE;
	if (!ifindex)
		return -EINVAL;
	return pp_dev_bind_tap(m, ifindex, slot);
}

int pp_dp_tap_unbind(struct pp_maps *m, __u32 slot, __u32 ifindex)
{
	return pp_dev_drop_tap(m, ifindex, slot);
}

int pp_dp_iport_remove(struct pp_maps *m, __u32 slot)
{
	struct pp_iport old = {}, zero = {};
	int err;

	if (pp_iport_get(m, slot, &old))
		return 0;
	err = pp_dev_drop_tap(m, old.ifindex, slot);
	if (!err)
		err = pp_dev_drop_tap(m, old.standby, slot);
	if (err)
		return err;
	return pp_map_put_changed(m, PPM_IPORTS, &slot, &zero);
}

/* Network net_id's hint of its one local service port (struct pp_net). */
static int net_set_lone(struct pp_maps *m, __u32 net_id, const struct pp_flood *fl)
{
	__u32 lone = fl->count == 1 ? fl->sport[0] : 0;
	struct pp_net net;

	if (pp_net_get(m, net_id, &net) || !net.mtu || net.lone_sport == lone)
		return 0;
	net.lone_sport = lone;
	return pp_net_put(m, net_id, &net);
}

/*
 * Service port id joins (add) or leaves the local ports of network net_id:
 * its flood list, then its lone-port hint, which is set only once the port
 * is in pp_fdb and cleared before it leaves it.
 */
static int flood_update(struct pp_maps *m, __u32 net_id, __u32 id, bool add)
{
	struct pp_flood fl = {};
	__u32 i, n;
	int err = 0;

	pp_flood_get(m, net_id, &fl);
	n = fl.count < PP_FLOOD_MAX ? fl.count : PP_FLOOD_MAX;
	for (i = 0; i < n && fl.sport[i] != id; i++)
		;
	if (add && i == n) {
		if (n == PP_FLOOD_MAX)
			return -ENOSPC;
		fl.sport[n] = id;
		fl.count = n + 1;
		err = pp_flood_put(m, net_id, &fl);
	} else if (!add && i < n) {
		fl.sport[i] = fl.sport[n - 1];	/* order does not matter */
		fl.sport[n - 1] = 0;
		fl.count = n - 1;
		err = fl.count ? pp_flood_put(m, net_id, &fl) : pp_flood_del(m, net_id);
	}
	return err ? err : net_set_lone(m, net_id, &fl);
}

/*
 * pp_dst, the one-cache-line view of pp_fdb's service-port MACs (struct
 * pp_dst_bucket): a port joins its bucket after its pp_fdb entry and leaves
 * it before; a bucket that cannot hold a MAC of pp_fdb says so (PP_DST_MORE).
 * That mark stays: whether some MAC of pp_fdb is still outside the bucket is
 * not known without a scan, and a bucket that asks pp_fdb needlessly is
 * only slower.
 */
/*
 * The bucket of (net_id, mac) into *b: 0, or 1 when the map has none (sized
 * for fewer networks), or -errno.
 */
static int dst_bucket(struct pp_maps *m, __u32 net_id, const __u8 mac[6], __u32 *idx,
		      struct pp_dst_bucket *b)
{
	int err;

	*idx = pp_dst_idx(net_id, mac);
	err = pp_map_get(m, PPM_DST, idx, b);
	return err == -ENOENT ? 1 : err;
}

static int dst_update(struct pp_maps *m, __u32 net_id, const __u8 mac[6], __u32 id, bool add)
{
	struct pp_dst_way *w = NULL, *free_way = NULL;
	struct pp_dst_bucket b;
	__u32 idx, i;
	int err = dst_bucket(m, net_id, mac, &idx, &b);

	if (err)
		return err < 0 ? err : 0;
	for (i = 0; i < PP_DST_WAYS && !w; i++) {
		if (b.way[i].sport && !memcmp(b.way[i].mac, mac, 6))
			w = &b.way[i];
		else if (!b.way[i].sport && !free_way)
			free_way = &b.way[i];
	}
	if (!add) {
		if (!w || w->sport != id)
			return 0;	/* not there, or the MAC is another port's now */
		memset(w, 0, sizeof(*w));
	} else if (w) {
		w->sport = id;
	} else if (free_way) {
		memcpy(free_way->mac, mac, 6);
		free_way->sport = id;
	} else {
		b.flags |= PP_DST_MORE;
	}
	return pp_map_put_changed(m, PPM_DST, &idx, &b);
}

int pp_dp_dst_more(struct pp_maps *m, __u32 net_id, const __u8 mac[6])
{
	struct pp_dst_bucket b;
	__u32 idx;
	int err = dst_bucket(m, net_id, mac, &idx, &b);

	if (err)
		return err < 0 ? err : 0;
	b.flags |= PP_DST_MORE;
	return pp_map_put_changed(m, PPM_DST, &idx, &b);
}

struct srcmac_scan {
	__u32 slot;
	bool found;
};

static int srcmac_scan(const void *key, const void *val, void *arg)
{
	const struct pp_srcmac_key *k = key;
	struct srcmac_scan *s = arg;

	(void)val;
	if (k->slot == s->slot)
		s->found = true;
	return s->found;
}

static int iport_set_classifier(struct pp_maps *m, __u32 slot, __u32 untagged, bool srcmac)
{
	struct pp_iport ip;
	int err = pp_iport_get(m, slot, &ip);

	if (err)
		return err;
	ip.untagged_sport = untagged;
	ip.flags = (ip.flags & ~PP_IPORT_HAS_SRCMAC) | (srcmac ? PP_IPORT_HAS_SRCMAC : 0);
	return iport_put_fields(m, slot, &ip);	/* ifindex: the programs' (an activation) */
}

int pp_dp_sport_install(struct pp_maps *m, __u32 id, const struct pp_sport *sp)
{
	struct pp_fdb_key fk = { .net_id = sp->net_id };
	struct pp_sport cur;
	struct pp_iport ip;
	struct pp_net net = {};
	int err;

	if (!id || id >= m->max_entries[PPM_SPORTS] || !sp->net_id ||
	    sp->net_id >= m->max_entries[PPM_NETS] || !sp->slot)
		return -ERANGE;
	if ((sp->match == PP_MATCH_VLAN &&
	     (!sp->outer_vid || sp->outer_vid >= PP_VID_RESERVED || sp->inner_vid)) ||
	    (sp->match == PP_MATCH_QINQ &&
	     (!sp->outer_vid || sp->outer_vid >= PP_VID_RESERVED ||
	      !sp->inner_vid || sp->inner_vid >= PP_VID_RESERVED)) ||
	    sp->match < PP_MATCH_VLAN || sp->match > PP_MATCH_SRCMAC || (sp->mac[0] & 1))
		return -EINVAL;
	if (!pp_sport_get(m, id, &cur) && cur.match && memcmp(&cur, sp, sizeof(cur)))
		return -EEXIST;		/* ids are never rewritten in place */
	if (pp_iport_get(m, sp->slot, &ip) || !ip.mtu)
		return -ENOENT;		/* an installed instance port has an MTU */

	err = pp_map_put_changed(m, PPM_SPORTS, &id, sp);
	if (err)
		return err;
	/*
	 * An L3 port (its net_id a domain's) is reached by routing, not by
	 * MAC; a chain's hop port (its net_id a chain's: pp_nets[id].chain =
	 * id) only by its chain's tables: neither is in a network's tables.
	 */
	pp_net_get(m, sp->net_id, &net);
	if (!(sp->flags & PP_SPORT_L3) && net.chain != sp->net_id) {
		memcpy(fk.mac, sp->mac, sizeof(fk.mac));
		err = pp_map_put_changed(m, PPM_FDB, &fk, &id);
		if (!err)
			err = dst_update(m, sp->net_id, sp->mac, id, true);
		if (!err)
			err = flood_update(m, sp->net_id, id, true);
		if (err)
			return err;
	}

	switch (sp->match) {
	case PP_MATCH_VLAN: {
		__u32 k = PP_VLAN_IDX(sp->slot, sp->outer_vid);

		return pp_map_put_changed(m, PPM_VLANS, &k, &id);
	}
	case PP_MATCH_QINQ: {
		struct pp_qinq_key k = { sp->slot, sp->outer_vid, sp->inner_vid };

		return pp_map_put_changed(m, PPM_QINQ, &k, &id);
	}
	case PP_MATCH_SRCMAC: {
		struct pp_srcmac_key k = { .slot = sp->slot };

		memcpy(k.mac, sp->mac, sizeof(k.mac));
		err = pp_map_put_changed(m, PPM_SRCMAC, &k, &id);
		if (err)
			return err;
		return iport_set_classifier(m, sp->slot, ip.untagged_sport, true);
	}
	case PP_MATCH_UNTAGGED:
		return iport_set_classifier(m, sp->slot, id,
					    ip.flags & PP_IPORT_HAS_SRCMAC);
	}
	return -EINVAL;
}

int pp_dp_sport_remove(struct pp_maps *m, __u32 id)
{
	struct pp_fdb_key fk = {};
	struct pp_sport sp, zero = {};
	struct pp_iport ip;
	int err = 0;

	if (pp_sport_get(m, id, &sp) || !sp.match)
		return 0;

	/* Unreachable from the VM first. */
	switch (sp.match) {
	case PP_MATCH_VLAN: {
		__u32 k = PP_VLAN_IDX(sp.slot, sp.outer_vid);

		err = del_if_owned(m, PPM_VLANS, &k, id);
		break;
	}
	case PP_MATCH_QINQ: {
		struct pp_qinq_key k = { sp.slot, sp.outer_vid, sp.inner_vid };

		err = del_if_owned(m, PPM_QINQ, &k, id);
		break;
	}
	case PP_MATCH_SRCMAC: {
		struct pp_srcmac_key k = { .slot = sp.slot };
		struct srcmac_scan s = { .slot = sp.slot };

		memcpy(k.mac, sp.mac, sizeof(k.mac));
		err = del_if_owned(m, PPM_SRCMAC, &k, id);
		if (!err)
			err = pp_map_iter(m, PPM_SRCMAC, srcmac_scan, &s);
		if (err < 0)
			return err;
		err = 0;
		if (!s.found && !pp_iport_get(m, sp.slot, &ip))
			err = iport_set_classifier(m, sp.slot, ip.untagged_sport, false);
		break;
	}
	case PP_MATCH_UNTAGGED:
		if (!pp_iport_get(m, sp.slot, &ip) && ip.untagged_sport == id)
			err = iport_set_classifier(m, sp.slot, 0,
						   ip.flags & PP_IPORT_HAS_SRCMAC);
		break;
	}
	if (err)
		return err;

	if (sp.flags & PP_SPORT_L3)
		return pp_map_put(m, PPM_SPORTS, &id, &zero);
	/* Then unreachable from the network, then gone. */
	err = flood_update(m, sp.net_id, id, false);
	if (err)
		return err;
	fk.net_id = sp.net_id;
	memcpy(fk.mac, sp.mac, sizeof(fk.mac));
	err = dst_update(m, sp.net_id, sp.mac, id, false);
	if (!err)
		err = del_if_owned(m, PPM_FDB, &fk, id);
	if (err)
		return err;
	return pp_map_put(m, PPM_SPORTS, &id, &zero);
}
