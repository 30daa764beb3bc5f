/* SPDX-License-Identifier: MIT */
/*
 * A growable little-endian byte buffer for building ACPI tables, AML and the EFI
 * hand-over blob. Appends never fail from the caller's point of view: the first
 * error (-ENOMEM, -E2BIG, -ERANGE) is remembered in `err`, later writes become
 * no-ops, and the builder checks acpi_buf_error() once at the end.
 */
#ifndef ACPI_BUF_H
#define ACPI_BUF_H

#include <stddef.h>
#include <stdint.h>
#include "vmm/core/compiler.h"

/* Hard cap on a buffer: larger than any table or AML package can be (PkgLength is 28 bits). */
#define ACPI_BUF_MAX (256u * 1024 * 1024)

struct acpi_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	int err; /* first error, sticky; 0 while healthy */
};

#define ACPI_BUF_INIT ((struct acpi_buf){ .data = NULL, .len = 0, .cap = 0, .err = 0 })

void acpi_buf_init(struct acpi_buf *b);
/* Frees the storage and resets to the empty, healthy state. */
void acpi_buf_fini(struct acpi_buf *b);
/* 0, or the first error any operation on `b` hit. */
int acpi_buf_error(const struct acpi_buf *b) __must_check;
/* Records `err` (< 0) unless an earlier error is already recorded. */
void acpi_buf_set_error(struct acpi_buf *b, int err);

/* Makes room for `n` more bytes without changing len. */
int acpi_buf_reserve(struct acpi_buf *b, size_t n) __must_check;

void acpi_buf_append(struct acpi_buf *b, const void *p, size_t n);
void acpi_buf_append_zero(struct acpi_buf *b, size_t n);
/* Appends the low `nbytes` (1..8) bytes of v, little-endian. */
void acpi_buf_append_le(struct acpi_buf *b, uint64_t v, unsigned int nbytes);
void acpi_buf_append_u8(struct acpi_buf *b, uint8_t v);
void acpi_buf_append_u16(struct acpi_buf *b, uint16_t v);
void acpi_buf_append_u32(struct acpi_buf *b, uint32_t v);
void acpi_buf_append_u64(struct acpi_buf *b, uint64_t v);
/* Appends zero bytes until len is a multiple of `align` (a power of two). */
void acpi_buf_align(struct acpi_buf *b, size_t align);

/*
 * Appends `n` zero bytes and returns their offset, to be filled in later with the
 * patch functions. Returns SIZE_MAX when the buffer is in error.
 */
size_t acpi_buf_alloc(struct acpi_buf *b, size_t n);

/* Overwrites bytes already in the buffer; out-of-range writes record -ERANGE. */
void acpi_buf_patch(struct acpi_buf *b, size_t off, const void *p, size_t n);
void acpi_buf_patch_le(struct acpi_buf *b, size_t off, uint64_t v, unsigned int nbytes);
void acpi_buf_patch_u8(struct acpi_buf *b, size_t off, uint8_t v);
void acpi_buf_patch_u16(struct acpi_buf *b, size_t off, uint16_t v);
void acpi_buf_patch_u32(struct acpi_buf *b, size_t off, uint32_t v);
void acpi_buf_patch_u64(struct acpi_buf *b, size_t off, uint64_t v);

/* Little-endian readers for tests and checksums; the range must be inside the buffer. */
uint64_t acpi_get_le(const uint8_t *p, unsigned int nbytes);

/* The 8-bit sum of bytes [off, off + n); out of range records -ERANGE and returns 0. */
uint8_t acpi_buf_sum(struct acpi_buf *b, size_t off, size_t n);

/*
 * Hands the storage to the caller (free() it) and resets `b`. Fails with the
 * buffer's error, in which case the storage is freed.
 */
int acpi_buf_take(struct acpi_buf *b, uint8_t **data, size_t *len) __must_check;

#endif
