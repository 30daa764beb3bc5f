// SPDX-License-Identifier: MIT
/* JSON pieces shared by host and source descriptions (desc_json.h). */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migration/compat/desc_json.h"
#include "migration/format/stream.h"
#include "vmm/core/json_util.h"

int dj_parse(const char *text, size_t len, struct json_object **out, struct mig_err *err)
{
	struct json_tokener *tok;
	struct json_object *o;
	enum json_tokener_error e;
	size_t used;

	if (len > COMPAT_MAX_JSON) {
		mig_err_set(err, "description larger than %u bytes", COMPAT_MAX_JSON);
		return -E2BIG;
	}
	if (memchr(text, 0, len)) {
		mig_err_set(err, "description contains a NUL byte");
		return -EINVAL;
	}
	tok = json_tokener_new_ex(COMPAT_JSON_DEPTH);
	if (!tok)
		return -ENOMEM;
	o = json_tokener_parse_ex(tok, text, (int)len);
	e = json_tokener_get_error(tok);
	used = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!o || e != json_tokener_success) {
		mig_err_set(err, "not valid JSON at byte %zu: %s", used,
			    e == json_tokener_continue ? "unexpected end of input" : json_tokener_error_desc(e));
		json_object_put(o);
		return -EINVAL;
	}
	for (; used < len; used++) {
		if (!strchr(" \t\r\n", text[used])) {
			mig_err_set(err, "trailing data after the JSON object at byte %zu", used);
			json_object_put(o);
			return -EINVAL;
		}
	}
	if (!json_object_is_type(o, json_type_object)) {
		mig_err_set(err, "a description must be a JSON object");
		json_object_put(o);
		return -EINVAL;
	}
	*out = o;
	return 0;
}

static int member(struct json_object *o, const char *key, bool required, struct json_object **v,
		  struct mig_err *err)
{
	*v = NULL;
	if (!json_object_object_get_ex(o, key, v) || !*v) {
		if (required) {
			mig_err_set(err, "'%s' is missing", key);
			return -EINVAL;
		}
		*v = NULL;
	}
	return 0;
}

int dj_hex_value(struct json_object *v, uint64_t *out)
{
	const char *s;
	char *end;

	if (json_object_is_type(v, json_type_int)) {
		int64_t i = json_object_get_int64(v);

		if (i < 0)
			return -ERANGE;
		*out = (uint64_t)i;
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return -EINVAL;
	s = json_object_get_string(v);
	if (strncmp(s, "0x", 2) || !s[2] || strlen(s) > 18 || strspn(s + 2, "0123456789abcdefABCDEF") != strlen(s + 2))
		return -EINVAL;
	errno = 0;
	*out = strtoull(s + 2, &end, 16);
	return errno || *end ? -EINVAL : 0;
}

int dj_u64(struct json_object *o, const char *key, bool required, uint64_t max, uint64_t *out, struct mig_err *err)
{
	struct json_object *v;
	uint64_t x;
	int ret = member(o, key, required, &v, err);

	if (ret || !v)
		return ret;
	ret = dj_hex_value(v, &x);
	if (ret) {
		mig_err_set(err, "'%s': %s", key,
			    ret == -ERANGE ? "negative" : "not a non-negative integer or a \"0x...\" hex string");
		return -EINVAL;
	}
	if (x > max) {
		mig_err_set(err, "'%s': %" PRIu64 " is above the limit %" PRIu64, key, x, max);
		return -ERANGE;
	}
	*out = x;
	return 0;
}

int dj_u32(struct json_object *o, const char *key, bool required, uint32_t max, uint32_t *out, struct mig_err *err)
{
	uint64_t x = *out;
	int ret = dj_u64(o, key, required, max, &x, err);

	if (!ret)
		*out = (uint32_t)x;
	return ret;
}

int dj_bool(struct json_object *o, const char *key, bool required, bool *out, struct mig_err *err)
{
	struct json_object *v;
	int ret = member(o, key, required, &v, err);

	if (ret || !v)
		return ret;
	if (!json_object_is_type(v, json_type_boolean)) {
		mig_err_set(err, "'%s': not a boolean", key);
		return -EINVAL;
	}
	*out = json_object_get_boolean(v);
	return 0;
}

int dj_str(struct json_object *o, const char *key, bool required, char *buf, size_t cap, struct mig_err *err)
{
	struct json_object *v;
	const char *s;
	size_t i, n;
	int ret = member(o, key, required, &v, err);

	if (ret || !v)
		return ret;
	if (!json_object_is_type(v, json_type_string)) {
		mig_err_set(err, "'%s': not a string", key);
		return -EINVAL;
	}
	s = json_object_get_string(v);
	n = (size_t)json_object_get_string_len(v);
	if (n >= cap) {
		mig_err_set(err, "'%s': longer than %zu characters", key, cap - 1);
		return -E2BIG;
	}
	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e) {
			mig_err_set(err, "'%s': only printable ASCII is allowed", key);
			return -EINVAL;
		}
	}
	memcpy(buf, s, n + 1);
	return 0;
}

int dj_obj(struct json_object *o, const char *key, bool required, struct json_object **out, struct mig_err *err)
{
	int ret = member(o, key, required, out, err);

	if (ret || !*out)
		return ret;
	if (!json_object_is_type(*out, json_type_object)) {
		mig_err_set(err, "'%s': not an object", key);
		return -EINVAL;
	}
	return 0;
}

int dj_array(struct json_object *o, const char *key, bool required, size_t max, struct json_object **out, size_t *n,
	     struct mig_err *err)
{
	int ret = member(o, key, required, out, err);

	*n = 0;
	if (ret || !*out)
		return ret;
	if (!json_object_is_type(*out, json_type_array)) {
		mig_err_set(err, "'%s': not an array", key);
		return -EINVAL;
	}
	*n = json_object_array_length(*out);
	if (*n > max) {
		mig_err_set(err, "'%s': %zu entries, at most %zu allowed", key, *n, max);
		return -E2BIG;
	}
	return 0;
}

struct json_object *dj_hex(uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	return json_object_new_string(buf);
}

int dj_add_hex(struct json_object *o, const char *key, uint64_t v)
{
	return json_add_obj(o, key, dj_hex(v));
}

int dj_add_bool(struct json_object *o, const char *key, bool v)
{
	return json_add_obj(o, key, json_object_new_boolean(v));
}

static int array_add(struct json_object *a, struct json_object *v)
{
	if (!v || json_object_array_add(a, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

/* --- Shared members --------------------------------------------------------- */

int dj_put_format(struct json_object *o, uint16_t major, uint16_t minor, uint32_t arch)
{
	struct json_object *f = json_object_new_object();
	int ret = json_add_obj(o, "format", f);

	if (!ret)
		ret = json_add_int(f, "major", major);
	if (!ret)
		ret = json_add_int(f, "minor", minor);
	if (!ret)
		ret = json_add_str(o, "arch", mig_arch_name(arch));
	return ret;
}

int dj_get_format(struct json_object *o, uint16_t *major, uint16_t *minor, uint32_t *arch, struct mig_err *err)
{
	struct json_object *f;
	uint32_t ma = 0, mi = 0;
	char a[16];
	int ret;

	ret = dj_obj(o, "format", true, &f, err);
	if (!ret)
		ret = dj_u32(f, "major", true, UINT16_MAX, &ma, err);
	if (!ret)
		ret = dj_u32(f, "minor", true, UINT16_MAX, &mi, err);
	if (ret) {
		mig_err_prefix(err, "format");
		return ret;
	}
	ret = dj_str(o, "arch", true, a, sizeof(a), err);
	if (ret)
		return ret;
	if (!strcmp(a, "aarch64")) {
		*arch = MIG_ARCH_AARCH64;
	} else if (!strcmp(a, "x86_64")) {
		*arch = MIG_ARCH_X86_64;
	} else {
		mig_err_set(err, "'arch': unknown architecture '%s' (aarch64 or x86_64)", a);
		return -EINVAL;
	}
	*major = (uint16_t)ma;
	*minor = (uint16_t)mi;
	return 0;
}

int dj_put_sections(struct json_object *o, const struct compat_section *s, uint32_t n)
{
	struct json_object *a = json_object_new_array();
	int ret = json_add_obj(o, "sections", a);
	uint32_t i;

	for (i = 0; !ret && i < n; i++) {
		struct json_object *e = json_object_new_object();

		ret = array_add(a, e);
		if (!ret)
			ret = json_add_str(e, "name", s[i].name);
		if (!ret)
			ret = json_add_int(e, "min_version", s[i].min_version);
		if (!ret)
			ret = json_add_int(e, "version", s[i].version);
		if (!ret && s[i].count)
			ret = json_add_int(e, "count", s[i].count);
		if (!ret)
			ret = dj_add_bool(e, "optional", s[i].optional);
	}
	return ret;
}

int dj_get_sections(struct json_object *o, struct compat_section *s, uint32_t *n, struct mig_err *err)
{
	struct json_object *a;
	size_t i, j, len;
	int ret = dj_array(o, "sections", true, COMPAT_MAX_SECTIONS, &a, &len, err);

	if (ret)
		return ret;
	for (i = 0; i < len; i++) {
		struct json_object *e = json_object_array_get_idx(a, i);
		struct compat_section *c = &s[i];

		*c = (struct compat_section){ .min_version = 0 };
		if (!json_object_is_type(e, json_type_object)) {
			mig_err_set(err, "sections[%zu]: not an object", i);
			return -EINVAL;
		}
		ret = dj_str(e, "name", true, c->name, sizeof(c->name), err);
		if (!ret)
			ret = dj_u32(e, "version", true, UINT32_MAX, &c->version, err);
		c->min_version = c->version;
		if (!ret)
			ret = dj_u32(e, "min_version", false, UINT32_MAX, &c->min_version, err);
		if (!ret)
			ret = dj_u32(e, "count", false, UINT32_MAX, &c->count, err);
		if (!ret)
			ret = dj_bool(e, "optional", false, &c->optional, err);
		if (!ret && (!c->name[0] || c->min_version > c->version)) {
			mig_err_set(err, "empty name or min_version %u above version %u", c->min_version, c->version);
			ret = -EINVAL;
		}
		for (j = 0; !ret && j < i; j++) {
			if (!strcmp(s[j].name, c->name)) {
				mig_err_set(err, "section '%s' listed twice", c->name);
				ret = -EINVAL;
			}
		}
		if (ret) {
			mig_err_prefix(err, "sections[%zu]", i);
			return ret;
		}
	}
	*n = (uint32_t)len;
	return 0;
}

int dj_put_gic(struct json_object *o, const struct compat_gic *g)
{
	struct json_object *j = json_object_new_object();
	int ret = json_add_obj(o, "gic", j);

	if (!ret)
		ret = json_add_int(j, "version", g->version);
	if (!ret)
		ret = json_add_int(j, "nr_irqs", g->nr_irqs);
	if (!ret && g->nr_irqs_min)
		ret = json_add_int(j, "nr_irqs_min", g->nr_irqs_min);
	if (!ret)
		ret = dj_add_hex(j, "redist_base", g->redist_base);
	if (!ret)
		ret = dj_add_hex(j, "redist_stride", g->redist_stride);
	if (!ret)
		ret = dj_add_hex(j, "redist_low_limit", g->redist_low_limit);
	if (!ret)
		ret = dj_add_hex(j, "redist_high_base", g->redist_high_base);
	return ret;
}

int dj_get_gic(struct json_object *o, struct compat_gic *g, struct mig_err *err)
{
	struct json_object *j;
	int ret = dj_obj(o, "gic", true, &j, err);

	if (!ret)
		ret = dj_u32(j, "version", true, 4, &g->version, err);
	if (!ret)
		ret = dj_u32(j, "nr_irqs", true, 1020, &g->nr_irqs, err);
	if (!ret)
		ret = dj_u32(j, "nr_irqs_min", false, 1020, &g->nr_irqs_min, err);
	if (!ret)
		ret = dj_u64(j, "redist_base", true, UINT64_MAX, &g->redist_base, err);
	if (!ret)
		ret = dj_u64(j, "redist_stride", true, UINT64_MAX, &g->redist_stride, err);
	if (!ret)
		ret = dj_u64(j, "redist_low_limit", true, UINT64_MAX, &g->redist_low_limit, err);
	if (!ret)
		ret = dj_u64(j, "redist_high_base", true, UINT64_MAX, &g->redist_high_base, err);
	if (ret)
		mig_err_prefix(err, "gic");
	return ret;
}

int dj_put_regs(struct json_object *o, const uint64_t *regs, uint32_t n)
{
	struct json_object *a = json_object_new_array();
	int ret = json_add_obj(o, "reg_list", a);
	uint32_t i;

	for (i = 0; !ret && i < n; i++)
		ret = array_add(a, dj_hex(regs[i]));
	return ret;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int dj_get_regs(struct json_object *o, uint64_t *regs, uint32_t *n, struct mig_err *err)
{
	struct json_object *a;
	size_t i, len;
	int ret = dj_array(o, "reg_list", false, COMPAT_MAX_REGS, &a, &len, err);

	if (ret)
		return ret;
	for (i = 0; i < len; i++) {
		if (dj_hex_value(json_object_array_get_idx(a, i), &regs[i])) {
			mig_err_set(err, "reg_list[%zu]: not a \"0x...\" register id", i);
			return -EINVAL;
		}
	}
	qsort(regs, len, sizeof(*regs), cmp_u64);
	for (i = 1; i < len; i++) {
		if (regs[i] == regs[i - 1]) {
			mig_err_set(err, "reg_list: register 0x%" PRIx64 " listed twice", regs[i]);
			return -EINVAL;
		}
	}
	*n = (uint32_t)len;
	return 0;
}

int dj_put_id_regs(struct json_object *o, const struct compat_id_reg *r, uint32_t n, bool writable)
{
	struct json_object *a = json_object_new_array();
	int ret = json_add_obj(o, "id_regs", a);
	uint32_t i;

	for (i = 0; !ret && i < n; i++) {
		struct json_object *e = json_object_new_object();

		ret = array_add(a, e);
		if (!ret)
			ret = dj_add_hex(e, "id", r[i].id);
		if (!ret)
			ret = dj_add_hex(e, "value", r[i].value);
		if (!ret && writable)
			ret = dj_add_hex(e, "writable", r[i].writable);
	}
	return ret;
}

int dj_get_id_regs(struct json_object *o, struct compat_id_reg *r, uint32_t *n, struct mig_err *err)
{
	struct json_object *a;
	size_t i, j, len;
	int ret = dj_array(o, "id_regs", false, COMPAT_MAX_ID_REGS, &a, &len, err);

	if (ret)
		return ret;
	for (i = 0; i < len; i++) {
		struct json_object *e = json_object_array_get_idx(a, i);

		r[i] = (struct compat_id_reg){ .id = 0 };
		if (!json_object_is_type(e, json_type_object)) {
			mig_err_set(err, "id_regs[%zu]: not an object", i);
			return -EINVAL;
		}
		ret = dj_u64(e, "id", true, UINT64_MAX, &r[i].id, err);
		if (!ret)
			ret = dj_u64(e, "value", true, UINT64_MAX, &r[i].value, err);
		if (!ret)
			ret = dj_u64(e, "writable", false, UINT64_MAX, &r[i].writable, err);
		for (j = 0; !ret && j < i; j++) {
			if (r[j].id == r[i].id) {
				mig_err_set(err, "register 0x%" PRIx64 " listed twice", r[i].id);
				ret = -EINVAL;
			}
		}
		if (ret) {
			mig_err_prefix(err, "id_regs[%zu]", i);
			return ret;
		}
	}
	*n = (uint32_t)len;
	return 0;
}

int dj_read_file(const char *path, char **text, size_t *len, struct mig_err *err)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;

	if (!f) {
		mig_err_set(err, "cannot open %s: %s", path, strerror(errno));
		return -errno;
	}
	buf = malloc(COMPAT_MAX_JSON + 2);
	if (!buf) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(buf, 1, COMPAT_MAX_JSON + 1, f);
	if (ferror(f) || n > COMPAT_MAX_JSON) {
		mig_err_set(err, "%s: %s", path, n > COMPAT_MAX_JSON ? "larger than 8 MiB" : "read error");
		fclose(f);
		free(buf);
		return n > COMPAT_MAX_JSON ? -E2BIG : -EIO;
	}
	fclose(f);
	buf[n] = 0;
	*text = buf;
	*len = n;
	return 0;
}

int dj_write_file(struct json_object *obj, const char *path, struct mig_err *err)
{
	const char *s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
							       JSON_C_TO_STRING_NOSLASHESCAPE);
	FILE *f;
	int ret = 0;

	if (!s)
		return -ENOMEM;
	f = strcmp(path, "-") ? fopen(path, "w") : stdout;
	if (!f) {
		mig_err_set(err, "cannot create %s: %s", path, strerror(errno));
		return -errno;
	}
	if (fputs(s, f) < 0 || fputc('\n', f) < 0 || fflush(f))
		ret = -EIO;
	if (f != stdout && fclose(f))
		ret = -EIO;
	if (ret)
		mig_err_set(err, "cannot write %s", path);
	return ret;
}
