// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Placement (cluster mode, issue 19): which of the store's objects a host
 * programs, resolved to what the configuration loader reads (no host,
 * migrating-to or devices), and the global check's view of every object;
 * then loading a placed view, skipping the API objects that do not load on
 * this host (with their dependants) instead of refusing everything.
 * Stretched networks (vxlan, issue 20) have no device: a host has one where
 * a service port of its binds it, and the other hosts' MACs on it come from
 * the store and the hosts' records (cluster_remotes()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

#define PLACE_ROUNDS	16
#define HOST_NAME_MAX_LEN 63

bool host_name_valid(const char *s)
{
	size_t len = strlen(s);

	if (len < 1 || len > HOST_NAME_MAX_LEN)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9');

		if (!alnum && (!i || (c != '.' && c != '_' && c != '-')))
			return false;
	}
	return true;
}

/* bind.network or bind.l3.domain of a service port, or NULL. */
static const char *sport_bind(json_object *sp, enum kind k)
{
	json_object *b, *l3;

	if (!json_object_object_get_ex(sp, "bind", &b))
		return NULL;
	if (k == K_NET)
		return json_str(b, "network", NULL);
	return json_object_object_get_ex(b, "l3", &l3) ? json_str(l3, "domain", NULL) : NULL;
}

static void set_reason(json_object *to, enum kind k, const char *name, const char *why)
{
	char key[80];

	snprintf(key, sizeof(key), "%s/%s", kinds[k].path, name);
	if (!json_object_object_get_ex(to, key, NULL))
		json_object_object_add(to, key, json_object_new_string(why));
}

/*
 * Filter a chain's hop instances and sources: a port goes when gone() says
 * so.  Returns the index + 1 of the first hop left without an instance (0:
 * none), and in first_port the ingress of that hop's first instance.
 */
static size_t chain_filter(json_object *ch, bool (*gone)(void *, const char *), void *arg,
			   char *first_port, size_t len)
{
	json_object *hops, *src, *list;
	size_t empty = 0;

	if (json_object_object_get_ex(ch, "sources", &src) &&
	    json_object_object_get_ex(src, "service-ports", &list) &&
	    json_object_is_type(list, json_type_array)) {
		for (size_t i = json_object_array_length(list); i-- > 0;) {
			json_object *v = json_object_array_get_idx(list, i);

			if (json_object_is_type(v, json_type_string) &&
			    gone(arg, json_object_get_string(v)))
				json_object_array_del_idx(list, i, 1);
		}
	}
	if (!json_object_object_get_ex(ch, "hops", &hops) ||
	    !json_object_is_type(hops, json_type_array))
		return 0;
	for (size_t h = 0; h < json_object_array_length(hops); h++) {
		json_object *grp = json_object_array_get_idx(hops, h);
		size_t n;

		if (!json_object_is_type(grp, json_type_array) || !json_object_array_length(grp))
			continue;
		n = json_object_array_length(grp);
		for (size_t j = n; j-- > 0;) {
			json_object *in = json_object_array_get_idx(grp, j);
			const char *i = json_str(in, "ingress", NULL), *e = json_str(in, "egress", NULL);

			if (!empty && j == 0)
				snprintf(first_port, len, "%s", i ? i : e ? e : "");
			if ((i && gone(arg, i)) || (e && gone(arg, e)))
				json_object_array_del_idx(grp, j, 1);
		}
		if (!empty && !json_object_array_length(grp))
			empty = h + 1;
	}
	return empty;
}

static bool is_name(void *arg, const char *port)
{
	return !strcmp(arg, port);
}

/* A list of objects to drop: [kind, name, reason, ...] */
static void todo_add(json_object *todo, enum kind k, const char *name, const char *why)
{
	json_object_array_add(todo, json_object_new_int(k));
	json_object_array_add(todo, json_object_new_string(name));
	json_object_array_add(todo, json_object_new_string(why));
}

static void drop(json_object *st, json_object *skipped, enum kind k, const char *name0,
		 const char *why);

static void drop_all(json_object *st, json_object *skipped, json_object *todo)
{
	for (size_t i = 0; i + 2 < json_object_array_length(todo); i += 3)
		drop(st, skipped, json_object_get_int(json_object_array_get_idx(todo, i)),
		     json_object_get_string(json_object_array_get_idx(todo, i + 1)),
		     json_object_get_string(json_object_array_get_idx(todo, i + 2)));
	json_object_put(todo);
}

/*
 * Drop object name of kind k from st, skipped with reason why, and its
 * dependants: a network's service ports and chains, an instance port's
 * service ports, an L3 domain's service ports, a service port's hop
 * instances and source entries (a chain left with an empty hop goes).
 */
static void drop(json_object *st, json_object *skipped, enum kind k, const char *name0,
		 const char *why)
{
	json_object *deps;
	char name[PP_NAME_MAX + 1], dep[120], port[PP_NAME_MAX + 1];

	snprintf(name, sizeof(name), "%s", name0);	/* name0 may be the key going */
	set_reason(skipped, k, name, why);
	if (!store_get(st, k, name))
		return;
	json_object_object_del(store_kind(st, k), name);
	snprintf(dep, sizeof(dep), "%s \"%s\" is skipped", kinds[k].what, name);
	deps = json_object_new_array();
	json_object_object_foreach(store_kind(st, K_SPORT), sn, sp) {
		const char *on;

		if (k == K_SPORT || k == K_CHAIN)
			break;		/* nothing stands on them */
		on = k == K_IPORT ? json_str(sp, "instance-port", NULL) : sport_bind(sp, k);
		if (on && !strcmp(on, name))
			todo_add(deps, K_SPORT, sn, dep);
	}
	json_object_object_foreach(store_kind(st, K_CHAIN), cn, ch) {
		const char *net = json_str(ch, "network", NULL);
		char hop[160];
		size_t h = 0;

		if (k == K_SPORT)
			h = chain_filter(ch, is_name, name, port, sizeof(port));
		snprintf(hop, sizeof(hop), "hop %zu: %s", h, dep);
		if (h)
			todo_add(deps, K_CHAIN, cn, hop);
		else if (k == K_NET && net && !strcmp(net, name))
			todo_add(deps, K_CHAIN, cn, dep);
	}
	drop_all(st, skipped, deps);
}

/* Shapes of the cluster fields of obj (kind k): NULL, or what is wrong. */
static const char *shape(json_object *obj, enum kind k, char *buf, size_t len)
{
	static const char *const fields[] = { "host", "migrating-to" };
	json_object *v;

	if (k == K_IPORT) {
		for (size_t i = 0; i < 2; i++) {
			if (!json_object_object_get_ex(obj, fields[i], &v))
				continue;
			if (!json_object_is_type(v, json_type_string) ||
			    !host_name_valid(json_object_get_string(v))) {
				snprintf(buf, len, "%s: not a host name (1-63 characters of A-Z a-z "
					 "0-9 . _ -, starting with a letter or digit)", fields[i]);
				return buf;
			}
		}
	}
	if (k != K_NET || !json_object_object_get_ex(obj, "devices", &v))
		return NULL;
	if (json_object_object_get_ex(obj, "vxlan", NULL)) {
		/* one network on every host that has ports on it: no device anywhere */
		snprintf(buf, len, "devices: not used by a network stretched over VXLAN (vxlan)");
		return buf;
	}
	if (!json_object_is_type(v, json_type_object)) {
		snprintf(buf, len, "devices: not an object of host name -> interface name");
		return buf;
	}
	json_object_object_foreach(v, h, dev) {
		if (!host_name_valid(h)) {
			snprintf(buf, len, "devices: \"%.63s\" is not a host name", h);
			return buf;
		}
		if (!json_object_is_type(dev, json_type_string) ||
		    !pp_ifname_valid(json_object_get_string(dev), json_object_get_string_len(dev))) {
			snprintf(buf, len, "devices.%s: not an interface name (1-15 bytes, no '/', "
				 "':' or whitespace)", h);
			return buf;
		}
	}
	return NULL;
}

/* Names of a kind, copied: the objects may go while they are visited. */
static json_object *names_of(json_object *st, enum kind k)
{
	json_object *arr = json_object_new_array();

	json_object_object_foreach(store_kind(st, k), n, o) {
		(void)o;
		json_object_array_add(arr, json_object_new_string(n));
	}
	return arr;
}

#define FOREACH_NAME(arr, i, n)							\
	for (size_t i = 0; i < json_object_array_length(arr) &&			\
		((n) = json_object_get_string(json_object_array_get_idx(arr, i))); i++)

/* The global check's view: every object, devices made unique. */
static void place_global(json_object *st, struct placement *p)
{
	json_object *netdev = json_object_new_object(), *v;
	unsigned ng = 0, nt = 0;
	char buf[300];

	for (int k = 0; k < K_COUNT; k++) {
		json_object_object_foreach(store_kind(st, k), name, obj) {
			const char *why = shape(obj, k, buf, sizeof(buf));
			const char *dev = json_str(obj, "device", NULL);
			char syn[PP_IFNAME_MAX + 1];

			if (why)
				set_reason(p->errors, k, name, why);
			if (dev && !pp_ifname_valid(dev, strlen(dev)))
				dev = NULL;	/* invalid: the loader says so */
			if (k == K_IPORT && dev) {
				snprintf(syn, sizeof(syn), "pp-t%u", nt++);
				json_object_object_add(obj, "device", json_object_new_string(syn));
			} else if (k == K_NET && (dev || (json_object_object_get_ex(obj, "devices", NULL) &&
							  !json_object_object_get_ex(obj, "vxlan", NULL)))) {
				/* one device name, one synthetic name: the networks
				 * sharing a device on every host clash as they would */
				if (dev && json_object_object_get_ex(netdev, dev, &v)) {
					json_object_object_add(obj, "device", json_object_get(v));
				} else {
					snprintf(syn, sizeof(syn), "pp-g%u", ng++);
					v = json_object_new_string(syn);
					if (dev)
						json_object_object_add(netdev, dev, json_object_get(v));
					json_object_object_add(obj, "device", v);
				}
			}
			json_object_object_del(obj, "host");
			json_object_object_del(obj, "migrating-to");
			json_object_object_del(obj, "devices");
		}
	}
	json_object_put(netdev);
}

struct here {
	json_object *orig, *work;
};

/* A port of the store that is not placed here. */
static bool not_here(void *arg, const char *port)
{
	struct here *h = arg;

	return store_get(h->orig, K_SPORT, port) && !store_get(h->work, K_SPORT, port);
}

static bool in_st(json_object *st, const char *port)
{
	return store_get(st, K_SPORT, port) != NULL;
}

/* Does a chain name a service port of st in its hops or sources? */
static bool chain_names_here(json_object *ch, json_object *st)
{
	json_object *hops, *src, *list;

	if (json_object_object_get_ex(ch, "sources", &src) &&
	    json_object_object_get_ex(src, "service-ports", &list) &&
	    json_object_is_type(list, json_type_array))
		for (size_t i = 0; i < json_object_array_length(list); i++) {
			json_object *v = json_object_array_get_idx(list, i);

			if (json_object_is_type(v, json_type_string) &&
			    in_st(st, json_object_get_string(v)))
				return true;
		}
	if (!json_object_object_get_ex(ch, "hops", &hops) ||
	    !json_object_is_type(hops, json_type_array))
		return false;
	for (size_t h = 0; h < json_object_array_length(hops); h++) {
		json_object *grp = json_object_array_get_idx(hops, h);

		for (size_t j = 0; json_object_is_type(grp, json_type_array) &&
				   j < json_object_array_length(grp); j++) {
			json_object *in = json_object_array_get_idx(grp, j);
			const char *i = json_str(in, "ingress", NULL), *e = json_str(in, "egress", NULL);

			if ((i && in_st(st, i)) || (e && in_st(st, e)))
				return true;
		}
	}
	return false;
}

static const char *iport_host(json_object *st, const char *sport)
{
	json_object *sp = store_get(st, K_SPORT, sport), *ip;
	const char *h;

	ip = sp && json_str(sp, "instance-port", NULL) ? store_get(st, K_IPORT, json_str(sp, "instance-port", NULL)) :
	     NULL;
	h = ip ? json_str(ip, "host", NULL) : NULL;
	return h ? h : "(none)";
}

/* This host's share of st (a copy): see internal.h. */
static void place_host(json_object *store, json_object *st, const char *host,
		       struct placement *p)
{
	json_object *bad = json_object_new_array(), *skip = json_object_new_array();
	json_object *nodev = json_object_new_object(), *used = json_object_new_object();
	json_object *bound = json_object_new_object(), *badip = json_object_new_object();
	json_object *names, *v;
	struct here hr = { store, st };
	const char *n;
	char buf[300];

	/* instance ports: here, incoming, or elsewhere (silently gone) */
	names = names_of(st, K_IPORT);
	FOREACH_NAME(names, i, n) {
		json_object *ip = store_get(st, K_IPORT, n);
		const char *h, *mt, *why = shape(ip, K_IPORT, buf, sizeof(buf));

		if (why) {
			set_reason(p->errors, K_IPORT, n, why);
			todo_add(bad, K_IPORT, n, why);
			json_object_object_add(badip, n, NULL);
			continue;
		}
		h = json_str(ip, "host", NULL);
		mt = json_str(ip, "migrating-to", NULL);
		if (mt && !strcmp(mt, host) && (!h || strcmp(h, host)))
			json_object_object_add(p->incoming, n, json_object_new_string(h ? h : ""));
		else if (!h || strcmp(h, host))
			json_object_object_del(store_kind(st, K_IPORT), n);
	}
	json_object_put(names);

	/* the networks the service ports here bind (a stretched one is here for them) */
	json_object_object_foreach(store_kind(st, K_SPORT), bn, bsp) {
		const char *ip = json_str(bsp, "instance-port", NULL), *net = sport_bind(bsp, K_NET);

		(void)bn;
		if (net && ip && store_get(st, K_IPORT, ip) &&
		    !json_object_object_get_ex(badip, ip, NULL))
			json_object_object_add(bound, net, NULL);
	}

	/* networks: their device here, stretched over VXLAN to a port here, none
	 * (silently gone), or bad */
	names = names_of(st, K_NET);
	FOREACH_NAME(names, i, n) {
		json_object *net = store_get(st, K_NET, n), *devs, *d = NULL;
		const char *why = shape(net, K_NET, buf, sizeof(buf));
		bool stretched = json_object_object_get_ex(net, "vxlan", NULL);

		if (why) {
			set_reason(p->errors, K_NET, n, why);
			todo_add(bad, K_NET, n, why);
			continue;
		}
		if (json_object_object_get_ex(net, "devices", &devs) &&
		    json_object_object_get_ex(devs, host, &d))
			json_object_object_add(net, "device", json_object_get(d));
		json_object_object_del(net, "devices");
		if (json_object_object_get_ex(net, "device", NULL) ||
		    (stretched && json_object_object_get_ex(bound, n, NULL)))
			continue;
		/* (a stretched network no port here binds: its chains' reason) */
		json_object_object_add(nodev, n, json_object_new_string(stretched ?
				       "has no service port" : "has no device"));
		json_object_object_del(store_kind(st, K_NET), n);
	}
	json_object_put(names);

	/* service ports: those of the instance ports here */
	names = names_of(st, K_SPORT);
	FOREACH_NAME(names, i, n) {
		json_object *sp = store_get(st, K_SPORT, n);
		const char *ip = json_str(sp, "instance-port", NULL), *net = sport_bind(sp, K_NET);
		const char *l3 = sport_bind(sp, K_L3DOM);

		if (!ip || !store_get(st, K_IPORT, ip)) {
			json_object_object_del(store_kind(st, K_SPORT), n);
			continue;
		}
		if (net && json_object_object_get_ex(nodev, net, &v)) {
			snprintf(buf, sizeof(buf), "network \"%s\" %s on host %s", net,
				 json_object_get_string(v), host);
			todo_add(skip, K_SPORT, n, buf);
		}
		if (l3)
			json_object_object_add(used, l3, NULL);
	}
	json_object_put(names);

	/* L3 domains: those a service port here binds */
	names = names_of(st, K_L3DOM);
	FOREACH_NAME(names, i, n)
		if (!json_object_object_get_ex(used, n, NULL))
			json_object_object_del(store_kind(st, K_L3DOM), n);
	json_object_put(names);

	/* chains: those with a hop or a source here, their instances here */
	names = names_of(st, K_CHAIN);
	FOREACH_NAME(names, i, n) {
		json_object *ch = store_get(st, K_CHAIN, n);
		const char *net = json_str(ch, "network", NULL);
		char port[PP_NAME_MAX + 1] = "";
		size_t h;

		if (!chain_names_here(ch, st)) {
			json_object_object_del(store_kind(st, K_CHAIN), n);
			continue;
		}
		h = chain_filter(ch, not_here, &hr, port, sizeof(port));
		if (net && json_object_object_get_ex(nodev, net, &v)) {
			snprintf(buf, sizeof(buf), "network \"%s\" %s on host %s", net,
				 json_object_get_string(v), host);
			todo_add(skip, K_CHAIN, n, buf);
		} else if (h) {
			snprintf(buf, sizeof(buf), "hop %zu has no instance on host %s (service "
				 "port \"%s\" is on host %s)", h, host, port, iport_host(store, port));
			todo_add(skip, K_CHAIN, n, buf);
		}
	}
	json_object_put(names);

	/* the skips, with their dependants */
	drop_all(st, p->skipped, bad);
	drop_all(st, p->skipped, skip);
	json_object_object_foreach(store_kind(st, K_IPORT), in, ip) {
		(void)in;
		json_object_object_del(ip, "host");
		json_object_object_del(ip, "migrating-to");
	}
	json_object_put(nodev);
	json_object_put(used);
	json_object_put(bound);
	json_object_put(badip);
}

int place(json_object *store, const char *host, struct placement *p)
{
	memset(p, 0, sizeof(*p));
	if (host) {
		/* a host's share is a small part of a large store: its service ports
		 * only (those of instance ports here, or of none in the store:
		 * their error is reported where they would be) */
		p->placed = json_object_new_object();
		for (int k = 0; k < K_COUNT; k++) {
			json_object *src = store_kind(store, k), *dst = NULL;

			if (k != K_SPORT) {
				if (json_object_deep_copy(src, &dst, NULL))
					return -ENOMEM;
				json_object_object_add(p->placed, kinds[k].path, dst);
				continue;
			}
			dst = store_kind(p->placed, k);
			json_object_object_foreach(src, sn, so) {
				json_object *ip = NULL, *c = NULL, *v;
				const char *ipn = json_object_object_get_ex(so, "instance-port", &v) ?
						  json_object_get_string(v) : NULL;
				const char *h = NULL, *mt = NULL;

				if (ipn)
					ip = store_get(store, K_IPORT, ipn);
				if (ip && json_object_object_get_ex(ip, "host", &v))
					h = json_object_is_type(v, json_type_string) &&
					    host_name_valid(json_object_get_string(v))
					    ? json_object_get_string(v) : "";	/* "": malformed */
				if (ip && json_object_object_get_ex(ip, "migrating-to", &v))
					mt = json_object_get_string(v);
				/* (an instance port with a malformed host is skipped with its
				 * service ports everywhere: they are copied) */
				if (ip && !(h && (!*h || !strcmp(h, host))) && !(mt && !strcmp(mt, host)))
					continue;
				if (json_object_deep_copy(so, &c, NULL))
					return -ENOMEM;
				json_object_object_add(dst, sn, c);
			}
		}
	} else if (json_object_deep_copy(store, &p->placed, NULL))
		return -ENOMEM;
	p->skipped = json_object_new_object();
	p->incoming = json_object_new_object();
	p->errors = json_object_new_object();
	if (!p->skipped || !p->incoming || !p->errors) {
		placement_free(p);
		return -ENOMEM;
	}
	for (int k = 0; k < K_COUNT; k++)
		store_kind(p->placed, k);
	if (host)
		place_host(store, p->placed, host, p);
	else
		place_global(p->placed, p);
	return 0;
}

void placement_free(struct placement *p)
{
	json_object_put(p->placed);
	json_object_put(p->skipped);
	json_object_put(p->incoming);
	json_object_put(p->errors);
	memset(p, 0, sizeof(*p));
}

/* ---- stretched networks: the other hosts' MACs (issue 20) ------------------------ */

int host_vtep(json_object *rec, struct pp_cfg_addr *addr)
{
	static const uint8_t zero[16];
	json_object *v;
	const char *s;

	memset(addr, 0, sizeof(*addr));
	if (!json_object_object_get_ex(rec, "vtep", &v) || !v)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return -EINVAL;
	s = json_object_get_string(v);
	/* an address, not a prefix; never 0.0.0.0 or :: */
	if (strchr(s, '/') || pp_addr_parse(s, strlen(s), addr, false) ||
	    addr->family == PP_AF_NONE || !memcmp(addr->addr, zero, sizeof(zero))) {
		memset(addr, 0, sizeof(*addr));
		return -EINVAL;
	}
	return 1;
}

typedef bool (*net_wanted_fn)(void *arg, const char *net);
typedef int (*remote_fn)(void *arg, const char *net, const char *host,
			 const struct pp_cfg_addr *vtep, const uint8_t mac[PP_ETH_ALEN]);

static int emit_mac(remote_fn emit, void *arg, const char *net, const char *host,
		    const struct pp_cfg_addr *vtep, const char *mac)
{
	uint8_t m[PP_ETH_ALEN];

	if (!mac || pp_mac_parse(mac, strlen(mac), m))
		return 0;	/* none, or malformed: the global check refuses it */
	return emit(arg, net, host, vtep, m);
}

/*
 * Every (network, MAC) of store on another host than me with a VTEP: each
 * service port bound to a network wanted() takes, whose instance port's
 * host is not me and is not migrating to me (a port migrating stays at its
 * host until the move is committed), and has a record in hosts with a
 * VTEP; its MAC (`mac`, else `src-mac`, else its instance port's), and its
 * security allowed pairs' MACs.
 */
static int remotes_walk(json_object *store, json_object *hosts, const char *me,
			net_wanted_fn wanted, remote_fn emit, void *arg)
{
	json_object_object_foreach(store_kind(store, K_SPORT), sn, sp) {
		const char *net = sport_bind(sp, K_NET), *ipn = json_str(sp, "instance-port", NULL);
		const char *h, *mt, *mac;
		json_object *ip, *rec, *b, *sec, *pairs;
		struct pp_cfg_addr vt;
		int err;

		(void)sn;
		if (!net || !ipn || !(ip = store_get(store, K_IPORT, ipn)))
			continue;
		h = json_str(ip, "host", NULL);
		mt = json_str(ip, "migrating-to", NULL);
		if (!h || !strcmp(h, me) || (mt && !strcmp(mt, me)))
			continue;
		if (!json_object_object_get_ex(hosts, h, &rec) || host_vtep(rec, &vt) <= 0 ||
		    !wanted(arg, net))
			continue;
		mac = json_str(sp, "mac", NULL);
		if (!mac)
			mac = json_str(sp, "src-mac", NULL);
		if (!mac)
			mac = json_str(ip, "mac", NULL);
		err = emit_mac(emit, arg, net, h, &vt, mac);
		if (err)
			return err;
		if (!json_object_object_get_ex(sp, "bind", &b) ||
		    !json_object_object_get_ex(b, "security", &sec) ||
		    !json_object_object_get_ex(sec, "allowed-pairs", &pairs) ||
		    !json_object_is_type(pairs, json_type_array))
			continue;
		for (size_t i = 0; i < json_object_array_length(pairs); i++) {
			err = emit_mac(emit, arg, net, h, &vt,
				       json_str(json_object_array_get_idx(pairs, i), "mac", NULL));
			if (err)
				return err;
		}
	}
	return 0;
}

/* cluster_remotes() on its way: cfg's stretched networks, the vteps and remotes. */
struct rem_acc {
	json_object *nets;		/* name -> index (stretched ones only) */
	json_object *hosts;		/* host -> [address text, ...]: filled in order */
	struct pp_cfg_vtep *vteps;
	uint32_t n_vteps, cap_vteps;
	struct pp_cfg_remote *rem;
	uint32_t n_rem, cap_rem;
};

static bool cfg_stretched(void *arg, const char *net)
{
	struct rem_acc *ra = arg;

	return json_object_object_get_ex(ra->nets, net, NULL);
}

static int vtep_cmp(const void *x, const void *y)
{
	return strcmp(((const struct pp_cfg_vtep *)x)->host, ((const struct pp_cfg_vtep *)y)->host);
}

static int remote_cmp(const void *x, const void *y)
{
	const struct pp_cfg_remote *a = x, *b = y;

	if (a->network != b->network)
		return a->network < b->network ? -1 : 1;
	return memcmp(a->mac, b->mac, PP_ETH_ALEN) ?: (a->vtep > b->vtep) - (a->vtep < b->vtep);
}

static int add_remote(void *arg, const char *net, const char *host,
		      const struct pp_cfg_addr *vtep, const uint8_t mac[PP_ETH_ALEN])
{
	struct rem_acc *ra = arg;
	json_object *v;
	uint32_t vi;

	if (json_object_object_get_ex(ra->hosts, host, &v)) {
		vi = json_object_get_int(v);
	} else {
		if (ra->n_vteps == ra->cap_vteps) {
			uint32_t cap = ra->cap_vteps ? ra->cap_vteps * 2 : 8;
			void *p = realloc(ra->vteps, cap * sizeof(*ra->vteps));

			if (!p)
				return -ENOMEM;
			ra->vteps = p;
			ra->cap_vteps = cap;
		}
		vi = ra->n_vteps++;
		memset(&ra->vteps[vi], 0, sizeof(ra->vteps[vi]));
		snprintf(ra->vteps[vi].host, sizeof(ra->vteps[vi].host), "%s", host);
		ra->vteps[vi].addr = *vtep;
		json_object_object_add(ra->hosts, host, json_object_new_int(vi));
	}
	if (ra->n_rem == ra->cap_rem) {
		uint32_t cap = ra->cap_rem ? ra->cap_rem * 2 : 16;
		void *p = realloc(ra->rem, cap * sizeof(*ra->rem));

		if (!p)
			return -ENOMEM;
		ra->rem = p;
		ra->cap_rem = cap;
	}
	json_object_object_get_ex(ra->nets, net, &v);
	ra->rem[ra->n_rem].network = json_object_get_int(v);
	ra->rem[ra->n_rem].vtep = vi;
	memcpy(ra->rem[ra->n_rem].mac, mac, PP_ETH_ALEN);
	ra->n_rem++;
	return 0;
}

int cluster_remotes(json_object *store, json_object *hosts, const char *me, struct pp_config *cfg)
{
	struct rem_acc ra = {};
	uint32_t *order = NULL, n = 0;
	int err = -ENOMEM;

	free(cfg->vteps);
	free(cfg->remotes);
	cfg->vteps = NULL;
	cfg->remotes = NULL;
	cfg->n_vteps = cfg->n_remotes = 0;
	ra.nets = json_object_new_object();
	ra.hosts = json_object_new_object();
	if (!ra.nets || !ra.hosts)
		goto out;
	for (uint32_t i = 0; i < cfg->n_networks; i++)
		if (cfg->networks[i].vni)
			json_object_object_add(ra.nets, cfg->networks[i].name, json_object_new_int(i));
	err = remotes_walk(store, hosts, me, cfg_stretched, add_remote, &ra);
	if (err || !ra.n_vteps)
		goto out;
	/* the hosts by name, the remotes by (network, MAC): the same store gives the
	 * same tables whatever order its objects came in */
	order = malloc(ra.n_vteps * sizeof(*order));
	if (!order) {
		err = -ENOMEM;
		goto out;
	}
	{
		struct pp_cfg_vtep *sorted = malloc(ra.n_vteps * sizeof(*sorted));

		if (!sorted) {
			err = -ENOMEM;
			goto out;
		}
		memcpy(sorted, ra.vteps, ra.n_vteps * sizeof(*sorted));
		qsort(sorted, ra.n_vteps, sizeof(*sorted), vtep_cmp);
		for (uint32_t i = 0; i < ra.n_vteps; i++) {
			json_object *v;

			json_object_object_get_ex(ra.hosts, sorted[i].host, &v);
			order[json_object_get_int(v)] = i;
		}
		free(ra.vteps);
		ra.vteps = sorted;
	}
	for (uint32_t i = 0; i < ra.n_rem; i++)
		ra.rem[i].vtep = order[ra.rem[i].vtep];
	qsort(ra.rem, ra.n_rem, sizeof(*ra.rem), remote_cmp);
	/* a MAC on two hosts (an allowed pair's, say): the first host by name has it */
	for (uint32_t i = 0; i < ra.n_rem; i++)
		if (!n || ra.rem[n - 1].network != ra.rem[i].network ||
		    memcmp(ra.rem[n - 1].mac, ra.rem[i].mac, PP_ETH_ALEN))
			ra.rem[n++] = ra.rem[i];
	cfg->vteps = ra.vteps;
	cfg->n_vteps = ra.n_vteps;
	cfg->remotes = ra.rem;
	cfg->n_remotes = n;
	ra.vteps = NULL;
	ra.rem = NULL;
out:
	free(order);
	free(ra.vteps);
	free(ra.rem);
	json_object_put(ra.nets);
	json_object_put(ra.hosts);
	return err;
}

struct key_acc {
	json_object *placed, *lines;
};

/* The stretched networks of a placed share (what remotes_key() wants). */
static bool placed_stretched(void *arg, const char *net)
{
	json_object *n = store_get(((struct key_acc *)arg)->placed, K_NET, net);

	return n && json_object_object_get_ex(n, "vxlan", NULL);
}

static int add_line(void *arg, const char *net, const char *host,
		    const struct pp_cfg_addr *vtep, const uint8_t mac[PP_ETH_ALEN])
{
	char addr[64], m[PP_MAC_STRLEN], line[PP_NAME_MAX + PP_HOST_NAME_MAX + 100];

	pp_addr_format(vtep, false, addr, sizeof(addr));
	pp_mac_format(mac, m);
	snprintf(line, sizeof(line), "%s %s %s %s\n", net, m, host, addr);
	return json_object_array_add(((struct key_acc *)arg)->lines, json_object_new_string(line)) ?
	       -ENOMEM : 0;
}

static int line_cmp(const void *x, const void *y)
{
	return strcmp(json_object_get_string(*(json_object *const *)x),
		      json_object_get_string(*(json_object *const *)y));
}

char *remotes_key(json_object *store, json_object *hosts, const char *me, json_object *placed)
{
	json_object *lines = json_object_new_array();
	struct key_acc ka = { placed, lines };
	struct sbuf b = {};

	if (!lines || remotes_walk(store, hosts, me, placed_stretched, add_line, &ka)) {
		json_object_put(lines);
		return NULL;
	}
	json_object_array_sort(lines, line_cmp);
	sb_printf(&b, "%s", "");
	for (size_t i = 0; i < json_object_array_length(lines); i++)
		sb_printf(&b, "%s", json_object_get_string(json_object_array_get_idx(lines, i)));
	json_object_put(lines);
	return b.s;
}

struct culprit {
	int kind;
	char name[PP_NAME_MAX + 1];
	char why[600];
};

/*
 * The API object an error is about, and why (the error, positions in the
 * API source made words): false when it is not an API object's (a binding
 * file's own error, or the source's structure).  A binding file's error
 * naming a position in the API source is that object's: it clashes with
 * the file, and the store's copy is the one that goes.
 */
static bool culprit(const struct pp_error *e, const struct rbuf *r, struct culprit *c)
{
	static const char api_at[] = " at " PP_API_SOURCE_NAME ":";
	static const char dup[] = " is already defined at ";
	const struct line_ref *l;
	const char *at;
	char msg[400];
	unsigned long line;

	if (!strcmp(e->file, PP_API_SOURCE_NAME)) {
		line = e->line;
	} else {
		at = strstr(e->msg, api_at);
		if (!at)
			return false;
		line = strtoul(at + sizeof(api_at) - 1, NULL, 10);
	}
	if (!line || line > r->nlines || r->lines[line - 1].kind < 0)
		return false;
	l = &r->lines[line - 1];
	c->kind = l->kind;
	snprintf(c->name, sizeof(c->name), "%s", l->name);
	api_positions(msg, sizeof(msg), e->msg);
	at = strstr(e->msg, dup);
	if (strcmp(e->file, PP_API_SOURCE_NAME))
		snprintf(c->why, sizeof(c->why), "clashes with the binding files: %s:%u:%u: %s",
			 e->file, e->line, e->col, msg);
	else if (at && strncmp(at + sizeof(dup) - 1, PP_API_SOURCE_NAME ":",
			       sizeof(PP_API_SOURCE_NAME)))
		snprintf(c->why, sizeof(c->why), "defined in the binding files too (%s)",
			 at + sizeof(dup) - 1);
	else if (l->field[0])
		snprintf(c->why, sizeof(c->why), "%s: %s", l->field, msg);
	else
		snprintf(c->why, sizeof(c->why), "%s", msg);
	return true;
}

/* The API source alone (the global check has no binding files). */
static int load_alone(const struct rbuf *r, struct pp_config **out, struct pp_errors *errs)
{
	struct pp_config_source s = {
		.name = PP_API_SOURCE_NAME, .data = r->text.s, .len = r->text.len,
	};

	return pp_config_load(NULL, &s, 1, out, errs);
}

int place_load(struct pp_api *a, struct placement *p, bool with_files,
	       struct pp_config **out, struct pp_errors *errs, struct rbuf *r)
{
	json_object *work = NULL, *skipped = NULL;
	struct culprit *cs = NULL;
	int err = -ENOMEM;

	*out = NULL;
	memset(r, 0, sizeof(*r));
	if (json_object_deep_copy(p->placed, &work, NULL) ||
	    json_object_deep_copy(p->skipped, &skipped, NULL))
		goto out;
	for (int round = 0;; round++) {
		size_t n = 0;

		render(work, r);
		err = with_files ? load_with(a, r->text.s, r->text.len, r->lines, r->nlines, out,
					     errs)
				 : load_alone(r, out, errs);
		if (!err) {
			json_object_put(p->placed);
			json_object_put(p->skipped);
			p->placed = work;
			p->skipped = skipped;
			free(cs);
			return 0;
		}
		if (err != -EINVAL || round + 1 == PLACE_ROUNDS)
			break;
		/* every error an API object's, or the load fails as it is */
		free(cs);
		cs = calloc(errs->n + 1, sizeof(*cs));
		if (!cs) {
			err = -ENOMEM;
			break;
		}
		for (; n < errs->n && culprit(&errs->v[n], r, &cs[n]); n++)
			;
		if (!n || n < errs->n)
			break;
		for (size_t i = 0; i < n; i++)
			drop(work, skipped, cs[i].kind, cs[i].name, cs[i].why);
		pp_errors_free(errs);
		rbuf_free(r);
	}
	rbuf_free(r);
out:
	free(cs);
	json_object_put(work);
	json_object_put(skipped);
	return err;
}
