/* SPDX-License-Identifier: MIT */
/*
 * A bounded pull reader for msgpack bodies. Bodies are written with msgpack-c's
 * packer; they are read with this reader rather than msgpack_unpack(), because the
 * latter allocates for an array or map the size its header declares, before any
 * element is read (five hostile bytes ask for ~100 GB). This reader allocates
 * nothing: every length is checked against the bytes that remain, strings are
 * capped, and skipping a value is iterative with a nesting cap.
 */
#ifndef MIGRATION_MSGPACK_READ_H
#define MIGRATION_MSGPACK_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "migration/format/error.h"
#include "vmm/core/compiler.h"

/* Deepest nesting of arrays/maps accepted anywhere in a body. */
#define MPR_MAX_DEPTH 16
/* Longest string (keys, names) accepted; byte buffers use bin, capped by the body. */
#define MPR_MAX_STR 1024

enum mpr_kind {
	MPR_NIL,
	MPR_BOOL,
	MPR_UINT,  /* a non-negative integer (any msgpack int encoding) */
	MPR_INT,   /* a negative integer */
	MPR_FLOAT,
	MPR_STR,
	MPR_BIN,
	MPR_ARRAY, /* n elements follow */
	MPR_MAP,   /* n key/value pairs follow */
	MPR_EXT,
};

struct mpr_item {
	enum mpr_kind kind;
	union {
		bool b;
		uint64_t u;
		int64_t i;
		double f;
		uint32_t n; /* ARRAY, MAP */
		struct {
			const uint8_t *ptr;
			uint32_t len;
			int8_t ext_type;
		} s;        /* STR, BIN, EXT */
	};
};

struct mpr {
	const uint8_t *buf;
	size_t len;
	size_t pos;
	size_t base; /* added to positions in messages (offset of buf in the stream) */
};

void mpr_init(struct mpr *r, const void *buf, size_t len, size_t base);
/* Reads the next item header (with its payload for scalars, str, bin and ext).
 * Containers: the caller then reads n (array) or 2n (map) items. */
int mpr_next(struct mpr *r, struct mpr_item *it, struct mig_err *err) __must_check;
/* Skips one whole value whose header is already read into it. */
int mpr_skip_rest(struct mpr *r, const struct mpr_item *it, struct mig_err *err) __must_check;
/* Reads and skips one whole value. */
int mpr_skip(struct mpr *r, struct mig_err *err) __must_check;
/* Name of an item kind for messages ("unsigned integer", "map", ...). */
const char *mpr_kind_name(enum mpr_kind kind);

#endif
