/* SPDX-License-Identifier: MIT */
/*
 * What host and source descriptions share (migration/compat/host_desc.h,
 * vm_desc.h): section windows, the GIC layout, register lists and ID-register
 * values, and their JSON form. JSON input is hostile: every reader checks types,
 * ranges and counts and names the offending key ("reg_list[3]: not a hex string").
 *
 * 64-bit values (register ids and values, masks, addresses) are hex strings
 * ("0x603000000013c020") so orchestrators in languages with 53-bit numbers keep
 * them exact; counts, versions and byte sizes are JSON integers.
 */
#ifndef MIGRATION_COMPAT_DESC_JSON_H
#define MIGRATION_COMPAT_DESC_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "migration/format/error.h"
#include "vmm/core/compiler.h"

struct json_object;

#define COMPAT_NAME_MAX 63
#define COMPAT_MAX_SECTIONS 64
#define COMPAT_MAX_REGS 4096
#define COMPAT_MAX_ID_REGS 512
#define COMPAT_MAX_JSON (8u << 20) /* bytes of a description */
#define COMPAT_JSON_DEPTH 16

/* A section kind: the window a build loads, or (source) the version present. */
struct compat_section {
	char name[COMPAT_NAME_MAX + 1];
	uint32_t min_version;
	uint32_t version;
	uint32_t count;    /* source: instances in the stream */
	bool optional;     /* may be absent / skipped */
};

/* The vGIC a machine is built with. */
struct compat_gic {
	uint32_t version;          /* 3; 0: unknown / none */
	uint32_t nr_irqs;          /* a VM: what its GIC has; a host: the most it builds */
	uint32_t nr_irqs_min;      /* a host: the fewest it builds (steps of 32); 0: nr_irqs only */
	uint64_t redist_base;
	uint64_t redist_stride;
	uint64_t redist_low_limit; /* end of the first redistributor region */
	uint64_t redist_high_base; /* second region, for vCPUs beyond the first */
};

/* An ID register: its value and (host) the fields userspace may write. */
struct compat_id_reg {
	uint64_t id;
	uint64_t value;
	uint64_t writable;
};

/* Parses text (len bytes, at most COMPAT_MAX_JSON) into an object. */
int dj_parse(const char *text, size_t len, struct json_object **out, struct mig_err *err) __must_check;

/* Readers: `required` false leaves *out as it is when the key is absent. */
int dj_u64(struct json_object *o, const char *key, bool required, uint64_t max, uint64_t *out,
	   struct mig_err *err) __must_check;
int dj_u32(struct json_object *o, const char *key, bool required, uint32_t max, uint32_t *out,
	   struct mig_err *err) __must_check;
int dj_bool(struct json_object *o, const char *key, bool required, bool *out, struct mig_err *err) __must_check;
int dj_str(struct json_object *o, const char *key, bool required, char *buf, size_t cap,
	   struct mig_err *err) __must_check;
/* The member `key` of type object (or NULL when absent and not required). */
int dj_obj(struct json_object *o, const char *key, bool required, struct json_object **out,
	   struct mig_err *err) __must_check;
/* The array `key` with at most max entries (NULL, 0 when absent and not required). */
int dj_array(struct json_object *o, const char *key, bool required, size_t max, struct json_object **out,
	     size_t *n, struct mig_err *err) __must_check;
/* "0x..." (or a non-negative integer) into *out. */
int dj_hex_value(struct json_object *v, uint64_t *out) __must_check;
struct json_object *dj_hex(uint64_t v);
int dj_add_hex(struct json_object *o, const char *key, uint64_t v) __must_check;
int dj_add_bool(struct json_object *o, const char *key, bool v) __must_check;

/* Shared members. Writers return 0 or -ENOMEM; readers -EINVAL and a message. */
int dj_put_format(struct json_object *o, uint16_t major, uint16_t minor, uint32_t arch) __must_check;
int dj_get_format(struct json_object *o, uint16_t *major, uint16_t *minor, uint32_t *arch,
		  struct mig_err *err) __must_check;
int dj_put_sections(struct json_object *o, const struct compat_section *s, uint32_t n) __must_check;
int dj_get_sections(struct json_object *o, struct compat_section *s, uint32_t *n, struct mig_err *err) __must_check;
int dj_put_gic(struct json_object *o, const struct compat_gic *g) __must_check;
int dj_get_gic(struct json_object *o, struct compat_gic *g, struct mig_err *err) __must_check;
int dj_put_regs(struct json_object *o, const uint64_t *regs, uint32_t n) __must_check;
int dj_get_regs(struct json_object *o, uint64_t *regs, uint32_t *n, struct mig_err *err) __must_check;
int dj_put_id_regs(struct json_object *o, const struct compat_id_reg *r, uint32_t n, bool writable) __must_check;
int dj_get_id_regs(struct json_object *o, struct compat_id_reg *r, uint32_t *n, struct mig_err *err) __must_check;

/* Reads a whole file of at most COMPAT_MAX_JSON bytes, NUL-terminated (caller frees). */
int dj_read_file(const char *path, char **text, size_t *len, struct mig_err *err) __must_check;
/* Writes obj pretty-printed (with a final newline) to path; "-" is stdout. */
int dj_write_file(struct json_object *obj, const char *path, struct mig_err *err) __must_check;

#endif
