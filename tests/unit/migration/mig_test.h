/* SPDX-License-Identifier: MIT */
/* Shared fixtures of the migration unit tests: a sample state with every field
 * type, nested structs and subsections, and helpers to build bodies by hand. */
#ifndef TESTS_UNIT_MIGRATION_MIG_TEST_H
#define TESTS_UNIT_MIGRATION_MIG_TEST_H

#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>

#include "migration/format/error.h"
#include "migration/format/vmstate.h"

#define SAMPLE_MAX_ITEMS 8
#define SAMPLE_EXTRA_DEFAULT 0x55u

struct sample_inner {
	uint16_t x;
	bool flags[3];
};

struct sample_item {
	uint32_t a;
	int64_t b;
	uint8_t tag[4];
};

struct sample_state {
	bool b;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;
	int32_t i32;
	int64_t i64;
	bool ba[2];
	uint8_t u8a[3];
	uint16_t u16a[2];
	uint32_t u32a[2];
	uint64_t regs[32];
	int32_t i32a[2];
	int64_t i64a[2];
	uint8_t blob[16];
	struct sample_inner inner;
	struct sample_inner pair[2];
	uint32_t nr_items;
	struct sample_item items[SAMPLE_MAX_ITEMS];
	uint32_t added_v2; /* since version 2; pre_load default 0xdead */
	/* subsection "sample/extra" (optional), needed when extra != SAMPLE_EXTRA_DEFAULT */
	uint64_t extra;
	/* subsection "sample/strict" (mandatory), needed when strict */
	bool strict;
	uint32_t strict_level;
	/* set by post_load: how many times it ran */
	uint32_t post_loads;
	/* post_load rejects the state when this is set */
	bool reject;
};

extern const struct vmstate_desc sample_vmstate;      /* version 2, min 1 */
extern const struct vmstate_desc sample_extra_vmstate;

/* A sample with distinctive values in every field (seed varies them). */
void sample_fill(struct sample_state *s, unsigned seed);
/* Compares the migrated fields of two samples (not post_loads). */
bool sample_equal(const struct sample_state *a, const struct sample_state *b);

/* Encodes s with d into a new buffer (caller frees *body). */
int mig_test_encode(const struct vmstate_desc *d, const void *s, uint8_t **body, size_t *len);

/* A growable msgpack buffer for hand-made bodies. */
struct mp_out {
	msgpack_sbuffer sb;
	msgpack_packer pk;
};
void mp_out_init(struct mp_out *o);
void mp_out_fini(struct mp_out *o);
void mp_key(struct mp_out *o, const char *k);
/* Writes every field of sample s except those named in skip (NULL-terminated), in
 * reverse table order, as the first `extra` entries of a map of nfields-nskip+extra
 * entries: the caller appends `extra` key/value pairs. */
void mp_sample_fields(struct mp_out *o, const struct sample_state *s, const char *const *skip, unsigned extra);

/* Reads a whole file (caller frees). */
int mig_test_read_file(const char *path, uint8_t **buf, size_t *len);

#endif
