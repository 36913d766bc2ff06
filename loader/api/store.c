// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * api.json: the store of API objects, read (shape-checked), written
 * atomically, and rendered as a binding source with what each line holds.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "internal.h"
#include "log.h"

json_object *store_kind(json_object *store, enum kind k)
{
	json_object *o;

	if (!json_object_object_get_ex(store, kinds[k].path, &o)) {
		o = json_object_new_object();
		json_object_object_add(store, kinds[k].path, o);
	}
	return o;
}

json_object *store_get(json_object *store, enum kind k, const char *name)
{
	json_object *o;

	return json_object_object_get_ex(store_kind(store, k), name, &o) ? o : NULL;
}

int store_count(json_object *store)
{
	int n = 0;

	for (int k = 0; k < K_COUNT; k++)
		n += json_object_object_length(store_kind(store, k));
	return n;
}

static void sb_vprintf(struct sbuf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = realloc(b->s, b->cap);
		if (!b->s)
			abort();	/* out of memory for a few KB of text */
	}
	vsnprintf(b->s + b->len, n + 1, fmt, ap);
	b->len += n;
}

void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sb_vprintf(b, fmt, ap);
	va_end(ap);
}

static void rb_line(struct rbuf *r, int kind, const char *name, const char *field,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* One line of rendered text, and what it holds. */
static void rb_line(struct rbuf *r, int kind, const char *name, const char *field,
		    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sb_vprintf(&r->text, fmt, ap);
	va_end(ap);
	sb_printf(&r->text, "\n");
	if (r->nlines + 1 >= r->cap_lines) {
		r->cap_lines = (r->nlines + 1) * 2 + 16;
		r->lines = realloc(r->lines, r->cap_lines * sizeof(*r->lines));
		if (!r->lines)
			abort();
	}
	r->lines[r->nlines].kind = kind;
	snprintf(r->lines[r->nlines].name, sizeof(r->lines[0].name), "%s", name ? name : "");
	snprintf(r->lines[r->nlines].field, sizeof(r->lines[0].field), "%s", field ? field : "");
	r->nlines++;
}

const char *json_plain(json_object *v)
{
	return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
}

const char *json_str(json_object *o, const char *key, const char *dflt)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return dflt;
	return json_object_get_string(v);
}

/* Does a chain of the store name service port name in its hops? */
static bool store_hop_port(json_object *store, const char *name)
{
	json_object_object_foreach(store_kind(store, K_CHAIN), cname, ch) {
		json_object *hops;

		(void)cname;
		if (!json_object_object_get_ex(ch, "hops", &hops) ||
		    !json_object_is_type(hops, json_type_array))
			continue;
		for (size_t h = 0; h < json_object_array_length(hops); h++) {
			json_object *grp = json_object_array_get_idx(hops, h);

			for (size_t j = 0; json_object_is_type(grp, json_type_array) &&
					   j < json_object_array_length(grp); j++) {
				json_object *in = json_object_array_get_idx(grp, j), *v;

				if (json_object_object_get_ex(in, "ingress", &v) &&
				    json_object_is_type(v, json_type_string) &&
				    !strcmp(json_object_get_string(v), name))
					return true;
				if (json_object_object_get_ex(in, "egress", &v) &&
				    json_object_is_type(v, json_type_string) &&
				    !strcmp(json_object_get_string(v), name))
					return true;
			}
		}
	}
	return false;
}

bool sport_pending(json_object *store, const char *name, json_object *obj)
{
	return obj && !json_object_object_get_ex(obj, "bind", NULL) &&
	       !store_hop_port(store, name);
}

/* Render store as JSON (a YAML flow document), one field per line.  A
 * pending service port (sport_pending) is left out unless with_pending. */
void render_with(json_object *store, struct rbuf *r, bool with_pending)
{
	memset(r, 0, sizeof(*r));
	rb_line(r, -1, NULL, NULL, "{");
	for (int k = 0; k < K_COUNT; k++) {
		json_object *objs = store_kind(store, k);
		int nobj = 0, i = 0;

		json_object_object_foreach(objs, name0, obj0)
			nobj += with_pending || !(k == K_SPORT && sport_pending(store, name0, obj0));
		rb_line(r, -1, NULL, NULL, "\"%s\": {", kinds[k].path);
		json_object_object_foreach(objs, name, obj) {
			int nf = 0, f = 0;
			json_object *nm;

			if (!with_pending && k == K_SPORT && sport_pending(store, name, obj))
				continue;
			nm = json_object_new_string(name);

			json_object_object_foreach(obj, key0, v0) {
				(void)v0;
				nf += strcmp(key0, "revision") != 0;
			}
			rb_line(r, k, name, NULL, "%s: {", json_plain(nm));
			json_object_put(nm);
			json_object_object_foreach(obj, key, v) {
				json_object *kk;

				if (!strcmp(key, "revision"))
					continue;
				kk = json_object_new_string(key);
				rb_line(r, k, name, key, "%s: %s%s", json_plain(kk), json_plain(v),
					++f < nf ? "," : "");
				json_object_put(kk);
			}
			rb_line(r, k, name, NULL, "}%s", ++i < nobj ? "," : "");
		}
		rb_line(r, -1, NULL, NULL, "}%s", k + 1 < K_COUNT ? "," : "");
	}
	rb_line(r, -1, NULL, NULL, "}");
}

void render(json_object *store, struct rbuf *r)
{
	render_with(store, r, false);
}

void adopt_render(struct pp_api *a, struct rbuf *r)
{
	free(a->src);
	free(a->lines);
	a->src = r->text.s;
	a->src_len = r->text.len;
	a->lines = r->lines;
	a->nlines = r->nlines;
}

void rbuf_free(struct rbuf *r)
{
	free(r->text.s);
	free(r->lines);
	memset(r, 0, sizeof(*r));
}

void pp_api_source(struct pp_api *a, struct pp_config_source *src)
{
	src->name = PP_API_SOURCE_NAME;
	src->data = a->src;
	src->len = a->src_len;
}

/*
 * Does JSON text hold a "\u0000" escape inside a string?  json-c keeps it in
 * a value (the length says so) but cuts an object key there, and every C
 * string made of either would be cut: refused wherever it is.
 */
bool json_text_has_nul(const char *s, size_t len)
{
	bool in = false;

	for (size_t i = 0; i < len; i++) {
		if (!in) {
			in = s[i] == '"';
		} else if (s[i] == '"') {
			in = false;
		} else if (s[i] == '\\' && i + 1 < len) {
			if (s[i + 1] == 'u' && i + 5 < len && !memcmp(s + i + 2, "0000", 4))
				return true;
			i++;	/* the escaped character */
		} else if (!s[i]) {
			return true;
		}
	}
	return false;
}

/* The path (e.g. "addresses[0]") of the first string value under o holding a NUL. */
bool json_nul_path(json_object *o, char *path, size_t len, size_t at)
{
	size_t n;

	switch (json_object_get_type(o)) {
	case json_type_string:
		return memchr(json_object_get_string(o), 0, json_object_get_string_len(o)) != NULL;
	case json_type_object: {
		json_object_object_foreach(o, key, v) {
			n = snprintf(path + at, len - at, "%s%s", at ? "." : "", key);
			if (json_nul_path(v, path, len, at + n < len ? at + n : len - 1))
				return true;
		}
		break;
	}
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(o); i++) {
			n = snprintf(path + at, len - at, "[%zu]", i);
			if (json_nul_path(json_object_array_get_idx(o, i), path, len,
					  at + n < len ? at + n : len - 1))
				return true;
		}
		break;
	default:
		break;
	}
	path[at] = 0;
	return false;
}

void utc_stamp(char *buf, size_t len, const char *fmt)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, fmt, &tm);
}

void fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (fsync(fd))
		pr_warn("api: fsync %s: %s\n", dir, strerror(errno));
	close(fd);
}

/* What api.json says about a damage (the kept objects by name; null: not known yet). */
static json_object *state_record(const struct pp_api *a)
{
	json_object *r = json_object_new_object(), *kept = NULL;

	json_object_object_add(r, "status", json_object_new_string("damaged"));
	json_object_object_add(r, "reason", json_object_new_string(a->sf.reason));
	json_object_object_add(r, "kept-as", json_object_new_string(a->sf.kept_as));
	json_object_object_add(r, "since", json_object_new_string(a->sf.since));
	if (!a->sf.pending) {
		kept = json_object_new_object();
		for (int k = 0; k < K_COUNT; k++) {
			json_object *arr = json_object_new_array();

			for (size_t i = 0; i < a->nkept[k]; i++)
				json_object_array_add(arr, json_object_new_string(a->kept[k][i].name));
			json_object_object_add(kept, kinds[k].path, arr);
		}
	}
	json_object_object_add(r, "kept", kept);
	return r;
}

/*
 * Write store to api.json atomically: a temporary file, synced, renamed
 * over it, and the directory synced (the rename itself is durable only
 * then).  While the state file is damaged, the record of it goes along, so a
 * restart keeps what is kept.
 */
int store_save(struct pp_api *a, json_object *store)
{
	char tmp[600];
	const char *text;
	size_t len, off = 0;
	int fd, err = 0;

	if (a->sf.damaged)
		json_object_object_add(store, STATE_REC, state_record(a));
	text = json_object_to_json_string_ext(store, JSON_C_TO_STRING_PRETTY |
					      JSON_C_TO_STRING_SPACED);
	len = strlen(text);
	snprintf(tmp, sizeof(tmp), "%s.tmp", a->store_path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		err = -errno;
	while (!err && off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno != EINTR)
			err = -errno;
		else if (n > 0)
			off += n;
	}
	if (!err && (write(fd, "\n", 1) != 1 || fsync(fd)))
		err = -errno ? -errno : -EIO;
	if (fd >= 0 && close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, a->store_path))
		err = -errno;
	if (!err)
		fsync_dir(a->o.state_dir);
	else
		unlink(tmp);
	json_object_object_del(store, STATE_REC);
	return err;
}

static bool name_ok(const char *s)
{
	return pp_name_valid(s, strlen(s));
}

/* Is our record of a damage well formed? */
static bool record_ok(json_object *rec, char *why, size_t len)
{
	json_object *kept, *v;

	if (!json_object_is_type(rec, json_type_object)) {
		snprintf(why, len, "\"%s\" is not an object", STATE_REC);
		return false;
	}
	json_object_object_foreach(rec, key, val) {
		if (!strcmp(key, "kept"))
			continue;
		if (strcmp(key, "status") && strcmp(key, "reason") && strcmp(key, "kept-as") &&
		    strcmp(key, "since")) {
			snprintf(why, len, "unknown key \"%s\" in \"%s\"", key, STATE_REC);
			return false;
		}
		if (!json_object_is_type(val, json_type_string)) {
			snprintf(why, len, "\"%s.%s\" is not a string", STATE_REC, key);
			return false;
		}
	}
	if (!json_object_object_get_ex(rec, "kept", &kept) || !kept)
		return true;
	for (int k = 0; json_object_is_type(kept, json_type_object) && k < K_COUNT; k++) {
		if (!json_object_object_get_ex(kept, kinds[k].path, &v))
			continue;
		if (!json_object_is_type(v, json_type_array))
			goto bad;
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			json_object *n = json_object_array_get_idx(v, i);

			if (!json_object_is_type(n, json_type_string) || !name_ok(json_object_get_string(n)))
				goto bad;
		}
	}
	if (json_object_is_type(kept, json_type_object))
		return true;
bad:
	snprintf(why, len, "\"%s.kept\" is not a list of names per kind", STATE_REC);
	return false;
}

/* Is a store read from disk of the shape the API writes? */
static bool store_shape_ok(json_object *o, char *why, size_t len)
{
	if (!json_object_is_type(o, json_type_object)) {
		snprintf(why, len, "the top level is not an object");
		return false;
	}
	json_object_object_foreach(o, key, val) {
		int k;

		if (!strcmp(key, STATE_REC)) {
			if (!record_ok(val, why, len))
				return false;
			continue;
		}
		for (k = 0; k < K_COUNT && strcmp(key, kinds[k].path); k++)
			;
		if (k == K_COUNT) {
			snprintf(why, len, "unknown key \"%.40s\" at the top level", key);
			return false;
		}
		if (!json_object_is_type(val, json_type_object)) {
			snprintf(why, len, "\"%s\" is not an object", key);
			return false;
		}
		json_object_object_foreach(val, name, obj) {
			json_object *rev;

			if (!name_ok(name)) {
				snprintf(why, len, "invalid %s name \"%.40s\"", kinds[k].what, name);
				return false;
			}
			if (!json_object_is_type(obj, json_type_object)) {
				snprintf(why, len, "%s \"%s\" is not an object", kinds[k].what, name);
				return false;
			}
			if (json_object_object_get_ex(obj, "revision", &rev) &&
			    (!json_object_is_type(rev, json_type_int) || json_object_get_int64(rev) < 0)) {
				snprintf(why, len, "%s \"%s\": revision is not a count", kinds[k].what,
					 name);
				return false;
			}
		}
	}
	return true;
}

/*
 * Read api.json: 0 and *out (with *rec, our record of a damage, taken out
 * of it, or NULL); -ENOENT when there is none; any other -errno: it is
 * damaged, and why says how.
 */
int store_read(const char *path, json_object **out, json_object **rec, char *why,
	       size_t len)
{
	struct json_tokener *tok = NULL;
	json_object *o = NULL;
	struct stat st;
	char *text = NULL;
	size_t got = 0;
	int fd, err = 0;

	*out = *rec = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return -ENOENT;
		snprintf(why, len, "unreadable: %s", strerror(errno));
		return -errno;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (size_t)st.st_size > STORE_FILE_MAX) {
		snprintf(why, len, "not a regular file of at most %u MiB", STORE_FILE_MAX >> 20);
		err = -EINVAL;
		goto out;
	}
	text = malloc(st.st_size + 1);
	if (!text) {
		err = -ENOMEM;
		snprintf(why, len, "out of memory");
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, text + got, st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(why, len, "unreadable: %s", n ? strerror(errno) : "short read");
			err = -EIO;
			goto out;
		}
		got += n;
	}
	text[got] = 0;
	tok = json_tokener_new();
	o = tok ? json_tokener_parse_ex(tok, text, (int)got) : NULL;
	if (!o || json_tokener_get_error(tok) != json_tokener_success) {
		snprintf(why, len, "not valid JSON (%s at offset %zu)",
			 !got ? "empty" : tok ? json_tokener_error_desc(json_tokener_get_error(tok))
					     : "out of memory",
			 tok ? (size_t)json_tokener_get_parse_end(tok) : 0);
		err = -EINVAL;
	} else if (strspn(text + json_tokener_get_parse_end(tok), " \t\r\n") !=
		   got - json_tokener_get_parse_end(tok)) {
		snprintf(why, len, "not valid JSON (trailing data at offset %zu)",
			 (size_t)json_tokener_get_parse_end(tok));
		err = -EINVAL;
	} else if (json_text_has_nul(text, got)) {
		snprintf(why, len, "a string holds a NUL character (\\u0000)");
		err = -EINVAL;
	} else if (!store_shape_ok(o, why, len)) {
		err = -EINVAL;
	}
out:
	if (tok)
		json_tokener_free(tok);
	free(text);
	close(fd);
	if (err) {
		json_object_put(o);
		return err;
	}
	if (json_object_object_get_ex(o, STATE_REC, rec)) {
		json_object_get(*rec);
		json_object_object_del(o, STATE_REC);
	}
	for (int k = 0; k < K_COUNT; k++)
		store_kind(o, k);
	*out = o;
	return 0;
}
