/* SPDX-License-Identifier: MIT */
/*
 * Versioned state descriptors (QEMU vmstate habits, keyed encoding).
 *
 * A device keeps its migratable state in a plain struct of fixed-width data (no
 * pointers, no fds) and describes it with a `static const struct vmstate_desc`:
 *
 *   struct foo_state { uint32_t ctrl; uint64_t regs[4]; bool irq; };
 *
 *   static const struct vmstate_field foo_fields[] = {
 *           VMS_U32(struct foo_state, ctrl),
 *           VMS_U64_ARRAY(struct foo_state, regs),
 *           VMS_BOOL_V(struct foo_state, irq, 2),     // added in version 2
 *           VMS_END,
 *   };
 *   const struct vmstate_desc foo_vmstate = {
 *           .name = "foo", .version = 2, .min_version = 1,
 *           .size = sizeof(struct foo_state), .fields = foo_fields,
 *   };
 *
 * A field macro fails to compile when the member's type is not the one it names
 * (VMS_U32 on a uint64_t member, VMS_U64_ARRAY on a scalar, ...).
 *
 * Body encoding: a msgpack map keyed by field name. Scalars are msgpack
 * booleans/integers, fixed arrays are arrays of exactly N elements, byte buffers
 * are a bin of exactly N bytes, nested structs are maps, a variable array is an
 * array of 0..MAX maps (its count field is implied by the array length, and is not
 * listed as a field). Subsections live under the key "subsections": a map of
 * subsection name → { "flags": u32, "version": u32, "body": map }.
 *
 * Loading is order-independent. Unknown keys (fields of a newer minor version) are
 * skipped. A field missing from the stream is an error when the stream's version
 * is at least its since_version. Unknown subsections are skipped unless flagged
 * mandatory. Hooks, in order, on a private copy of the state (the caller's struct
 * is written only when everything succeeded):
 *   pre_load  of the desc and of all its subsections (recursively): set defaults
 *             for what the stream may lack (absent subsections, new fields);
 *   decode;
 *   post_load of each nested struct / present subsection, then of the desc:
 *             validate (return -errno and a message to reject the stream).
 * A nested struct's desc carries no version of its own in the stream: its
 * since_version values refer to the enclosing section's (or subsection's) version.
 */
#ifndef MIGRATION_VMSTATE_H
#define MIGRATION_VMSTATE_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "migration/format/error.h"
#include "vmm/core/compiler.h"

/* Limits on descriptors (checked by vmstate_desc_check). */
#define VMS_MAX_FIELDS 256
#define VMS_MAX_SUBSECTIONS 64
#define VMS_MAX_DEPTH 8    /* nested structs and subsections */
#define VMS_MAX_NAME 63    /* section, subsection and field names */

/* Reserved body key holding the subsections; no field may be called this. */
#define VMS_SUBSECTIONS_KEY "subsections"

enum vms_type {
	VMS_T_BOOL = 1,
	VMS_T_U8,
	VMS_T_U16,
	VMS_T_U32,
	VMS_T_U64,
	VMS_T_I32,
	VMS_T_I64,
	VMS_T_BUFFER, /* uint8_t x[N]: a bin of exactly N bytes */
	VMS_T_STRUCT, /* nested struct (a map), or a fixed array of them */
	VMS_T_VARRAY, /* struct x items[MAX] + uint32_t count: an array of 0..MAX maps */
};

#define VMS_F_ARRAY 0x1u /* encoded as an array of `count` elements */

struct vmstate_desc;

struct vmstate_field {
	const char *name;           /* NULL ends the table */
	enum vms_type type;
	uint32_t flags;             /* VMS_F_* */
	uint32_t offset;
	uint32_t elem_size;
	uint32_t count;             /* elements (1: scalar); VARRAY: the maximum */
	uint32_t count_offset;      /* VARRAY: offset of the uint32_t element count */
	uint32_t since_version;     /* required from this version on; 0: always */
	const struct vmstate_desc *desc; /* STRUCT, VARRAY */
};

/* Subsection flags, written to the stream. */
#define VMS_SUB_MANDATORY 0x1u /* a reader that does not know it must fail */

struct vmstate_subsection {
	const struct vmstate_desc *desc; /* NULL ends the table; same struct as the parent */
	/* Written only when this returns true; NULL: desc->needed, then "always". */
	bool (*needed)(const void *opaque);
	uint32_t flags; /* VMS_SUB_* */
};

struct vmstate_desc {
	const char *name;
	uint32_t version;     /* what this build writes */
	uint32_t min_version; /* oldest stream version this build loads */
	size_t size;          /* sizeof the state struct */
	const struct vmstate_field *fields;           /* ends with VMS_END; may be NULL */
	const struct vmstate_subsection *subsections; /* ends with VMS_SUB_END; may be NULL */
	/* Sets defaults for state the stream may lack. */
	void (*pre_load)(void *opaque);
	/* Validates the loaded state; -errno (and a message in err) rejects it. */
	int (*post_load)(void *opaque, uint32_t version, struct mig_err *err);
	/* Whether a section/subsection with this desc is worth writing (NULL: yes). */
	bool (*needed)(const void *opaque);
};

/*
 * Field macros. T is the state struct type, f the member. Each has a _V form whose
 * last argument is the since_version.
 */
#define VMS_FIELD_TYPE_(T, f) __typeof__(((T *)0)->f)
#define VMS_CHECK_(cond, msg) (0 * sizeof(struct { int vms_; _Static_assert(cond, msg); }))
#define VMS_NELEM_(T, f, ctype) (sizeof(((T *)0)->f) / sizeof(ctype))
/* offsetof, plus a compile-time check that T.f has type ctype. */
#define VMS_OFFSET_(T, f, ctype) \
	(offsetof(T, f) + VMS_CHECK_(__builtin_types_compatible_p(VMS_FIELD_TYPE_(T, f), ctype), \
				     "vmstate: " #T "." #f " is not " #ctype))
/* offsetof, plus a check that T.f is an array of ctype. */
#define VMS_ARRAY_OFFSET_(T, f, ctype) \
	(offsetof(T, f) + \
	 VMS_CHECK_(__builtin_types_compatible_p(VMS_FIELD_TYPE_(T, f), ctype[VMS_NELEM_(T, f, ctype)]), \
		    "vmstate: " #T "." #f " is not an array of " #ctype))

#define VMS_SCALAR_(T, f, ctype, vtype, v) \
	{ .name = #f, .type = (vtype), .offset = VMS_OFFSET_(T, f, ctype), .elem_size = sizeof(ctype), \
	  .count = 1, .since_version = (v) }
#define VMS_ARRAY_(T, f, ctype, vtype, v) \
	{ .name = #f, .type = (vtype), .flags = VMS_F_ARRAY, .offset = VMS_ARRAY_OFFSET_(T, f, ctype), \
	  .elem_size = sizeof(ctype), .count = VMS_NELEM_(T, f, ctype), .since_version = (v) }

#define VMS_BOOL_V(T, f, v) VMS_SCALAR_(T, f, bool, VMS_T_BOOL, v)
#define VMS_U8_V(T, f, v) VMS_SCALAR_(T, f, uint8_t, VMS_T_U8, v)
#define VMS_U16_V(T, f, v) VMS_SCALAR_(T, f, uint16_t, VMS_T_U16, v)
#define VMS_U32_V(T, f, v) VMS_SCALAR_(T, f, uint32_t, VMS_T_U32, v)
#define VMS_U64_V(T, f, v) VMS_SCALAR_(T, f, uint64_t, VMS_T_U64, v)
#define VMS_I32_V(T, f, v) VMS_SCALAR_(T, f, int32_t, VMS_T_I32, v)
#define VMS_I64_V(T, f, v) VMS_SCALAR_(T, f, int64_t, VMS_T_I64, v)
#define VMS_BOOL(T, f) VMS_BOOL_V(T, f, 0)
#define VMS_U8(T, f) VMS_U8_V(T, f, 0)
#define VMS_U16(T, f) VMS_U16_V(T, f, 0)
#define VMS_U32(T, f) VMS_U32_V(T, f, 0)
#define VMS_U64(T, f) VMS_U64_V(T, f, 0)
#define VMS_I32(T, f) VMS_I32_V(T, f, 0)
#define VMS_I64(T, f) VMS_I64_V(T, f, 0)

#define VMS_BOOL_ARRAY_V(T, f, v) VMS_ARRAY_(T, f, bool, VMS_T_BOOL, v)
#define VMS_U8_ARRAY_V(T, f, v) VMS_ARRAY_(T, f, uint8_t, VMS_T_U8, v)
#define VMS_U16_ARRAY_V(T, f, v) VMS_ARRAY_(T, f, uint16_t, VMS_T_U16, v)
#define VMS_U32_ARRAY_V(T, f, v) VMS_ARRAY_(T, f, uint32_t, VMS_T_U32, v)
#define VMS_U64_ARRAY_V(T, f, v) VMS_ARRAY_(T, f, uint64_t, VMS_T_U64, v)
#define VMS_I32_ARRAY_V(T, f, v) VMS_ARRAY_(T, f, int32_t, VMS_T_I32, v)
#define VMS_I64_ARRAY_V(T, f, v) VMS_ARRAY_(T, f, int64_t, VMS_T_I64, v)
#define VMS_BOOL_ARRAY(T, f) VMS_BOOL_ARRAY_V(T, f, 0)
#define VMS_U8_ARRAY(T, f) VMS_U8_ARRAY_V(T, f, 0)
#define VMS_U16_ARRAY(T, f) VMS_U16_ARRAY_V(T, f, 0)
#define VMS_U32_ARRAY(T, f) VMS_U32_ARRAY_V(T, f, 0)
#define VMS_U64_ARRAY(T, f) VMS_U64_ARRAY_V(T, f, 0)
#define VMS_I32_ARRAY(T, f) VMS_I32_ARRAY_V(T, f, 0)
#define VMS_I64_ARRAY(T, f) VMS_I64_ARRAY_V(T, f, 0)

/* uint8_t f[N], encoded as a bin (not an array of integers). */
#define VMS_BUFFER_V(T, f, v) \
	{ .name = #f, .type = VMS_T_BUFFER, .offset = VMS_ARRAY_OFFSET_(T, f, uint8_t), .elem_size = 1, \
	  .count = VMS_NELEM_(T, f, uint8_t), .since_version = (v) }
#define VMS_BUFFER(T, f) VMS_BUFFER_V(T, f, 0)

/* ST f, described by the vmstate_desc d. */
#define VMS_STRUCT_V(T, f, d, ST, v) \
	{ .name = #f, .type = VMS_T_STRUCT, .offset = VMS_OFFSET_(T, f, ST), .elem_size = sizeof(ST), \
	  .count = 1, .since_version = (v), .desc = &(d) }
#define VMS_STRUCT(T, f, d, ST) VMS_STRUCT_V(T, f, d, ST, 0)
/* ST f[N]: an array of exactly N maps. */
#define VMS_STRUCT_ARRAY_V(T, f, d, ST, v) \
	{ .name = #f, .type = VMS_T_STRUCT, .flags = VMS_F_ARRAY, .offset = VMS_ARRAY_OFFSET_(T, f, ST), \
	  .elem_size = sizeof(ST), .count = VMS_NELEM_(T, f, ST), .since_version = (v), .desc = &(d) }
#define VMS_STRUCT_ARRAY(T, f, d, ST) VMS_STRUCT_ARRAY_V(T, f, d, ST, 0)
/* ST f[MAX] whose first `n` (a uint32_t member of T) entries are in use. */
#define VMS_STRUCT_VARRAY_V(T, f, n, d, ST, v) \
	{ .name = #f, .type = VMS_T_VARRAY, .flags = VMS_F_ARRAY, .offset = VMS_ARRAY_OFFSET_(T, f, ST), \
	  .elem_size = sizeof(ST), .count = VMS_NELEM_(T, f, ST), .count_offset = VMS_OFFSET_(T, n, uint32_t), \
	  .since_version = (v), .desc = &(d) }
#define VMS_STRUCT_VARRAY(T, f, n, d, ST) VMS_STRUCT_VARRAY_V(T, f, n, d, ST, 0)

#define VMS_END { .name = NULL }
#define VMS_SUB_END { .desc = NULL }

/* Checks a descriptor (names, sizes, offsets, versions, nesting). Registries call
 * it; unit tests should call it on every descriptor they add. */
int vmstate_desc_check(const struct vmstate_desc *d, struct mig_err *err) __must_check;

/* Appends the body of `state` (a map) at version d->version to pk. */
int vmstate_save(const struct vmstate_desc *d, const void *state, msgpack_packer *pk,
		 struct mig_err *err) __must_check;

/*
 * Loads a body written at `version` into state: checks min_version ≤ version ≤
 * d->version, runs the hooks and decodes into a copy, and writes `state` only on
 * success. `base` is the body's offset in its stream, for messages.
 */
int vmstate_load(const struct vmstate_desc *d, void *state, uint32_t version, const void *body,
		 size_t len, size_t base, struct mig_err *err) __must_check;

/* True when desc d (top-level) wants to be written: d->needed is NULL or says so. */
bool vmstate_needed(const struct vmstate_desc *d, const void *state);

/* A section, subsection or field name: 1..VMS_MAX_NAME of [A-Za-z0-9_-./:]. */
bool vmstate_name_ok(const char *name, size_t n);

#endif
