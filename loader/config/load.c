// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * polyport — binding files: loading. The files of a directory or a list,
 * and in-memory sources, read as ONE configuration: each file's tree
 * walked from its top level (top_keys: one row per kind of object), the
 * top-level service ports and the bindings once every file is read, the
 * errors sorted, the model returned whole or not at all. Also the model's
 * lifetime and its lookups by name.
 */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The top level of a file: one row per kind of object, whose entry is in
 * its schema file (networks.c, l3domains.c, iports.c, sports.c). Table
 * order is processing order: within a file, a conflict between a network
 * or an L3 domain and an instance port is reported at the instance port. */
static const struct keydef top_keys[] = {
	{ "networks", KT_MAP, "a mapping of network names", h_networks },
	{ "l3-domains", KT_MAP, "a mapping of l3 domain names", h_l3domains },
	{ "instance-ports", KT_MAP, "a mapping of instance port names",
	  h_iports },
	{ "service-ports", KT_MAP, "a mapping of service port names",
	  h_top_sports },
	{ "chains", KT_MAP, "a mapping of chain names", h_chains },
};

_Static_assert(ARRAY_SIZE(top_keys) <= MAX_KEYS, "raise MAX_KEYS");

static void walk_file(struct ld *ld, const struct ynode *root)
{
	const struct ynode *found[ARRAY_SIZE(top_keys)];
	struct ctx ctx = { "", "the top level", NULL };
	struct qbuf qb;

	if (!root || is_null(root) || root->type == Y_BAD)
		return;
	if (root->type != Y_MAP) {
		err_node(ld, root, "the top level must be a mapping (networks, l3-domains, instance-ports, service-ports, chains), got %s",
			 node_desc(&qb, root));
		return;
	}
	walk_keys(ld, root, top_keys, ARRAY_SIZE(top_keys), NULL, &ctx, found);
}

/*
 * Group the service ports by instance port (a stable counting sort: an
 * instance port's nested service ports, then its top-level ones, each in
 * order of definition), set every sport_first/sport_count, and remap the
 * index by name. Only needed when there are top-level service ports.
 */
static int group_sports(struct ld *ld)
{
	struct pp_config *cfg = ld->cfg;
	struct pp_cfg_sport *sorted;
	uint32_t *newidx, first = 0;
	struct htab *h = &ld->sp_by_name;

	if (!ld->n_toplevel)
		return 0;
	sorted = malloc(cfg->n_sports * sizeof(*sorted));
	newidx = malloc(cfg->n_sports * sizeof(*newidx));
	if (!sorted || !newidx) {
		free(sorted);
		free(newidx);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < cfg->n_iports; i++)
		cfg->iports[i].sport_count = 0;
	for (uint32_t i = 0; i < cfg->n_sports; i++)
		cfg->iports[cfg->sports[i].iport].sport_count++;
	for (uint32_t i = 0; i < cfg->n_iports; i++) {
		cfg->iports[i].sport_first = first;
		first += cfg->iports[i].sport_count;
		cfg->iports[i].sport_count = 0;
	}
	for (uint32_t i = 0; i < cfg->n_sports; i++) {
		struct pp_cfg_iport *ip = &cfg->iports[cfg->sports[i].iport];
		uint32_t j = ip->sport_first + ip->sport_count++;

		sorted[j] = cfg->sports[i];
		newidx[i] = j;
	}
	for (size_t i = 0; i < h->cap; i++)
		if (h->e[i].used)
			h->e[i].val = newidx[h->e[i].val];
	/* the chains' references to service ports */
	for (uint32_t c = 0; c < cfg->n_chains; c++) {
		struct pp_cfg_chain *ch = &cfg->chains[c];

		for (uint32_t k = 0; k < ch->n_sources; k++)
			ch->sources[k] = newidx[ch->sources[k]];
		for (uint32_t h2 = 0; h2 < ch->n_hops; h2++)
			for (uint32_t j = 0; j < ch->hops[h2].n_inst; j++) {
				ch->hops[h2].inst[j].in = newidx[ch->hops[h2].inst[j].in];
				ch->hops[h2].inst[j].out = newidx[ch->hops[h2].inst[j].out];
			}
	}
	free(cfg->sports);
	cfg->sports = sorted;
	/* cfg->sports now holds n_sports; sp_aux keeps the order of
	 * processing (only errors use it, and there are none) */
	ld->cap_sports = cfg->n_sports;
	free(newidx);
	return 0;
}

static void ld_free(struct ld *ld)
{
	free(ld->ekeys);
	free(ld->net_aux);
	free(ld->l3_aux);
	free(ld->ip_aux);
	free(ld->sp_aux);
	free(ld->ch_aux);
	free(ld->defer);
	free(ld->roots);
	htab_free(&ld->net_by_name);
	htab_free(&ld->ip_by_name);
	htab_free(&ld->sp_by_name);
	htab_free(&ld->tap);
	idtab_free(&ld->ip_by_id);
	htab_free(&ld->netdev);
	htab_free(&ld->netdev_vlan);
	htab_free(&ld->netvni);
	htab_free(&ld->match);
	htab_free(&ld->wire);
	htab_free(&ld->netmac);
	htab_free(&ld->netaddr);
	htab_free(&ld->l3_by_name);
	htab_free(&ld->l3table);
	htab_free(&ld->l3updev);
	htab_free(&ld->l3addr);
	htab_free(&ld->l3route);
	htab_free(&ld->ch_by_name);
	arena_free(&ld->arena);
	arena_free(&ld->kept);
}

void pp_config_free(struct pp_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->networks);
	free(cfg->iports);
	free(cfg->sports);
	free(cfg->rules);
	free(cfg->l3domains);
	free(cfg->chains);
	free(cfg->vteps);
	free(cfg->remotes);
	for (uint32_t i = 0; i < cfg->n_files; i++)
		free(cfg->files[i]);
	free(cfg->files);
	if (cfg->index) {
		htab_free(&cfg->index->net);
		htab_free(&cfg->index->ip);
		htab_free(&cfg->index->sp);
		htab_free(&cfg->index->tap);
		idtab_free(&cfg->index->ip_id);
		htab_free(&cfg->index->l3);
		htab_free(&cfg->index->chain);
		free(cfg->index);
	}
	free(cfg);
}

/* Add the names of the files to cfg->files first: every error and loc
 * points at them. */
static int add_files(struct ld *ld, const struct src *src, size_t n)
{
	struct pp_config *cfg = ld->cfg;

	cfg->files = calloc(n ? n : 1, sizeof(*cfg->files));
	if (!cfg->files)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		cfg->files[i] = strdup(src[i].name);
		if (!cfg->files[i])
			return -ENOMEM;
		cfg->n_files++;
	}
	return 0;
}

/*
 * Load the sources into *out; or, with ex, export them into ex (references
 * outside the sources allowed, every tree kept until the objects are
 * written; no model is returned).
 */
int load_sources(const struct src *src, size_t n, struct pp_config **out,
		 struct pp_errors *errs_in, struct pp_export *ex)
{
	struct pp_errors local = PP_ERRORS_INIT;
	struct pp_errors *errs = errs_in ? errs_in : &local;
	struct ld ld = { 0 };
	int ret;

	if (out)
		*out = NULL;
	ld.errs = errs;
	ld.err_base = errs->n;
	ld.cfg = calloc(1, sizeof(*ld.cfg));
	if (!ld.cfg)
		return -ENOMEM;
	ret = add_files(&ld, src, n);
	if (ret)
		goto out;
	if (ex) {
		/* what the sources name may be defined where they go */
		ld.nets_incomplete = true;
		ld.iports_incomplete = true;
		ld.l3_incomplete = true;
		ld.sports_incomplete = true;
		ld.chains_incomplete = true;
		ld.roots = calloc(n ? n : 1, sizeof(*ld.roots));
		if (!ld.roots) {
			ret = -ENOMEM;
			goto out;
		}
	}

	for (size_t i = 0; i < n && !ld.fatal; i++) {
		struct ynode *root;
		int r;

		ld.fidx = (uint32_t)i;
		if (src[i].err) {
			err_file(&ld, "cannot read: %s", strerror(src[i].err));
			if (!ld.io_err)
				ld.io_err = -src[i].err;
			ld.nets_incomplete = true;
			ld.iports_incomplete = true;
			ld.l3_incomplete = true;
			ld.sports_incomplete = true;
			ld.chains_incomplete = true;
			continue;
		}
		r = yaml_to_tree(&ld, src[i].data, src[i].len, &root);
		if (r < 0) {
			oom(&ld);
		} else if (r > 0) {
			ld.nets_incomplete = true;
			ld.iports_incomplete = true;
			ld.l3_incomplete = true;
			ld.sports_incomplete = true;
			ld.chains_incomplete = true;
		} else {
			walk_file(&ld, root);
			if (ex)
				ld.roots[i] = root;
		}
		if (ld.keep_tree || ex)
			arena_move(&ld.kept, &ld.arena);
		else
			arena_free(&ld.arena);
		ld.keep_tree = false;
	}
	if (!ld.fatal)
		read_top_sports(&ld);
	if (!ld.fatal)
		check_bindings(&ld);

	if (ld.fatal) {
		ret = ld.fatal;
	} else if (ld.n_ekeys) {
		ret = sort_errors(&ld);
		if (!ret)
			ret = ld.io_err ? ld.io_err : -EINVAL;
	} else {
		struct pp_config_index *ix;

		ret = group_sports(&ld);
		if (ret)
			goto out;
		if (ex) {
			ret = export_objects(&ld, ex);
			goto out;
		}
		ix = calloc(1, sizeof(*ix));
		if (!ix) {
			ret = -ENOMEM;
			goto out;
		}
		ix->net = ld.net_by_name;
		ix->ip = ld.ip_by_name;
		ix->sp = ld.sp_by_name;
		ix->tap = ld.tap;
		ix->ip_id = ld.ip_by_id;
		ix->l3 = ld.l3_by_name;
		ix->chain = ld.ch_by_name;
		memset(&ld.net_by_name, 0, sizeof(ld.net_by_name));
		memset(&ld.ip_by_name, 0, sizeof(ld.ip_by_name));
		memset(&ld.sp_by_name, 0, sizeof(ld.sp_by_name));
		memset(&ld.tap, 0, sizeof(ld.tap));
		memset(&ld.ip_by_id, 0, sizeof(ld.ip_by_id));
		memset(&ld.l3_by_name, 0, sizeof(ld.l3_by_name));
		memset(&ld.ch_by_name, 0, sizeof(ld.ch_by_name));
		ld.cfg->index = ix;
		*out = ld.cfg;
		ld.cfg = NULL;
		ret = 0;
	}
out:
	pp_config_free(ld.cfg);
	ld_free(&ld);
	pp_errors_free(&local);
	return ret;
}

int pp_config_load_buffers(const struct pp_config_source *s, size_t n,
			   struct pp_config **out, struct pp_errors *errs)
{
	struct src *src = calloc(n ? n : 1, sizeof(*src));
	int ret;

	if (!src) {
		*out = NULL;
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		src[i] = (struct src){ s[i].name, s[i].data, s[i].len, 0 };
	ret = load_sources(src, n, out, errs, NULL);
	free(src);
	return ret;
}

/* Read a whole file. Returns 0 or a negative errno. */
static int read_file(const char *path, char **data, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = NULL;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t r;

		if (!buf || n == cap) {
			char *nb;

			if (buf)
				cap *= 2;
			nb = realloc(buf, cap);
			if (!nb) {
				ret = -ENOMEM;
				break;
			}
			buf = nb;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		if (!r)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (ret) {
		free(buf);
		return ret;
	}
	*data = buf;
	*len = n;
	return 0;
}

/* The files paths[] (read here), then the in-memory sources extra[]. */
int load_files_and_buffers(const char *const *paths, size_t n,
			   const struct pp_config_source *extra,
			   size_t n_extra, struct pp_config **out,
			   struct pp_errors *errs, struct pp_export *ex)
{
	struct src *src = calloc(n + n_extra ? n + n_extra : 1, sizeof(*src));
	int ret = 0;

	if (out)
		*out = NULL;
	if (!src)
		return -ENOMEM;
	for (size_t i = 0; i < n && !ret; i++) {
		char *data = NULL;
		int r = read_file(paths[i], &data, &src[i].len);

		src[i].name = paths[i];
		src[i].data = data;
		if (r == -ENOMEM)
			ret = r;
		else if (r)
			src[i].err = -r;
	}
	for (size_t i = 0; i < n_extra; i++)
		src[n + i] = (struct src){ extra[i].name, extra[i].data,
					   extra[i].len, 0 };
	if (!ret)
		ret = load_sources(src, n + n_extra, out, errs, ex);
	for (size_t i = 0; i < n; i++)
		free((char *)src[i].data);
	free(src);
	return ret;
}

int pp_config_load_files(const char *const *paths, size_t n,
			 struct pp_config **out, struct pp_errors *errs)
{
	return load_files_and_buffers(paths, n, NULL, 0, out, errs, NULL);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool yaml_name(const char *name)
{
	size_t l = strlen(name);

	return name[0] != '.' && l > 5 && !strcmp(name + l - 5, ".yaml");
}

int pp_config_load(const char *dir, const struct pp_config_source *extra,
		   size_t n_extra, struct pp_config **out,
		   struct pp_errors *errs)
{
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int ret = 0;

	*out = NULL;
	if (!dir)
		return load_files_and_buffers(NULL, 0, extra, n_extra, out, errs, NULL);
	d = opendir(dir);
	if (!d) {
		ret = -errno;
		if (errs && pp_errors_add(errs, dir, 0, 0,
					  "cannot open directory: %s",
					  strerror(-ret)))
			ret = -ENOMEM;
		return ret;
	}
	while ((de = readdir(d))) {
		bool here = !strcmp(dir, ".");
		size_t dl = strlen(dir);
		struct stat st;
		char *path;

		if (!yaml_name(de->d_name))
			continue;
		if (asprintf(&path, "%s%s%s", here ? "" : dir,
			     here || (dl && dir[dl - 1] == '/') ? "" : "/",
			     de->d_name) < 0) {
			ret = -ENOMEM;
			break;
		}
		/* skip directories and the like; a dangling link is kept
		 * so that it is reported */
		if (!stat(path, &st) && !S_ISREG(st.st_mode)) {
			free(path);
			continue;
		}
		if (GROW(names, n, cap)) {
			free(path);
			ret = -ENOMEM;
			break;
		}
		names[n++] = path;
	}
	closedir(d);
	if (!ret) {
		qsort(names, n, sizeof(*names), cmp_str);
		ret = load_files_and_buffers((const char *const *)names, n,
					     extra, n_extra, out, errs, NULL);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return ret;
}

int pp_config_load_dir(const char *dir, struct pp_config **out,
		       struct pp_errors *errs)
{
	return pp_config_load(dir, NULL, 0, out, errs);
}

/* ---- lookups ------------------------------------------------------------ */

static bool lookup(const struct htab *h, const char *name, uint32_t *idx)
{
	uint8_t key[HKEY_LEN];
	size_t len;

	if (!name)
		return false;
	len = strlen(name);
	if (len > PP_NAME_MAX)
		return false;
	str_key(key, name, len);
	return htab_get(h, key, idx);
}

const struct pp_cfg_network *
pp_config_find_network(const struct pp_config *cfg, const char *name)
{
	uint32_t i;

	return cfg->index && lookup(&cfg->index->net, name, &i) ?
		       &cfg->networks[i] : NULL;
}

const struct pp_cfg_l3domain *
pp_config_find_l3domain(const struct pp_config *cfg, const char *name)
{
	uint32_t i;

	return cfg->index && lookup(&cfg->index->l3, name, &i) ?
		       &cfg->l3domains[i] : NULL;
}

const struct pp_cfg_chain *
pp_config_find_chain(const struct pp_config *cfg, const char *name)
{
	uint32_t i;

	return cfg->index && lookup(&cfg->index->chain, name, &i) ?
		       &cfg->chains[i] : NULL;
}

const struct pp_cfg_iport *
pp_config_find_iport(const struct pp_config *cfg, const char *name)
{
	uint32_t i;

	return cfg->index && lookup(&cfg->index->ip, name, &i) ?
		       &cfg->iports[i] : NULL;
}

const struct pp_cfg_sport *
pp_config_find_sport(const struct pp_config *cfg, const char *name)
{
	uint32_t i;

	return cfg->index && lookup(&cfg->index->sp, name, &i) ?
		       &cfg->sports[i] : NULL;
}

/* An instance port without a device (id only) is not in the index of
 * taps: "" names none. */
const struct pp_cfg_iport *
pp_config_find_iport_by_device(const struct pp_config *cfg, const char *ifname)
{
	uint32_t i;

	return cfg->index && ifname && ifname[0] && strlen(ifname) <= PP_IFNAME_MAX &&
		       lookup(&cfg->index->tap, ifname, &i) ?
		       &cfg->iports[i] : NULL;
}

const struct pp_cfg_iport *
pp_config_find_iport_by_id(const struct pp_config *cfg, const char *id)
{
	uint32_t i;

	return cfg->index && id && id[0] && strlen(id) <= PP_IPORT_ID_MAX &&
		       idtab_get(&cfg->index->ip_id, cfg, id, &i) ?
		       &cfg->iports[i] : NULL;
}
