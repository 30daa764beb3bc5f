// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "acpi/aml/buf.h"

void acpi_buf_init(struct acpi_buf *b)
{
	*b = ACPI_BUF_INIT;
}

void acpi_buf_fini(struct acpi_buf *b)
{
	free(b->data);
	*b = ACPI_BUF_INIT;
}

int acpi_buf_error(const struct acpi_buf *b)
{
	return b->err;
}

void acpi_buf_set_error(struct acpi_buf *b, int err)
{
	if (!b->err && err < 0)
		b->err = err;
}

int acpi_buf_reserve(struct acpi_buf *b, size_t n)
{
	size_t need, cap;
	uint8_t *p;

	if (b->err)
		return b->err;
	if (n > ACPI_BUF_MAX - b->len) {
		b->err = -E2BIG;
		return b->err;
	}
	need = b->len + n;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > ACPI_BUF_MAX / 2 ? ACPI_BUF_MAX : cap * 2;
	p = realloc(b->data, cap);
	if (!p) {
		b->err = -ENOMEM;
		return b->err;
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

void acpi_buf_append(struct acpi_buf *b, const void *p, size_t n)
{
	if (!n || acpi_buf_reserve(b, n))
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

void acpi_buf_append_zero(struct acpi_buf *b, size_t n)
{
	if (!n || acpi_buf_reserve(b, n))
		return;
	memset(b->data + b->len, 0, n);
	b->len += n;
}

static void put_le(uint8_t *p, uint64_t v, unsigned int nbytes)
{
	for (unsigned int i = 0; i < nbytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

uint64_t acpi_get_le(const uint8_t *p, unsigned int nbytes)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < nbytes && i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

void acpi_buf_append_le(struct acpi_buf *b, uint64_t v, unsigned int nbytes)
{
	if (nbytes == 0 || nbytes > 8) {
		acpi_buf_set_error(b, -EINVAL);
		return;
	}
	if (acpi_buf_reserve(b, nbytes))
		return;
	put_le(b->data + b->len, v, nbytes);
	b->len += nbytes;
}

void acpi_buf_append_u8(struct acpi_buf *b, uint8_t v)
{
	acpi_buf_append_le(b, v, 1);
}

void acpi_buf_append_u16(struct acpi_buf *b, uint16_t v)
{
	acpi_buf_append_le(b, v, 2);
}

void acpi_buf_append_u32(struct acpi_buf *b, uint32_t v)
{
	acpi_buf_append_le(b, v, 4);
}

void acpi_buf_append_u64(struct acpi_buf *b, uint64_t v)
{
	acpi_buf_append_le(b, v, 8);
}

void acpi_buf_align(struct acpi_buf *b, size_t align)
{
	if (!align || (align & (align - 1))) {
		acpi_buf_set_error(b, -EINVAL);
		return;
	}
	acpi_buf_append_zero(b, (align - (b->len & (align - 1))) & (align - 1));
}

size_t acpi_buf_alloc(struct acpi_buf *b, size_t n)
{
	size_t off = b->len;

	acpi_buf_append_zero(b, n);
	return b->err ? SIZE_MAX : off;
}

static int check_range(struct acpi_buf *b, size_t off, size_t n)
{
	if (b->err)
		return b->err;
	if (off > b->len || n > b->len - off) {
		b->err = -ERANGE;
		return b->err;
	}
	return 0;
}

void acpi_buf_patch(struct acpi_buf *b, size_t off, const void *p, size_t n)
{
	if (check_range(b, off, n))
		return;
	if (n)
		memcpy(b->data + off, p, n);
}

void acpi_buf_patch_le(struct acpi_buf *b, size_t off, uint64_t v, unsigned int nbytes)
{
	if (nbytes == 0 || nbytes > 8) {
		acpi_buf_set_error(b, -EINVAL);
		return;
	}
	if (check_range(b, off, nbytes))
		return;
	put_le(b->data + off, v, nbytes);
}

void acpi_buf_patch_u8(struct acpi_buf *b, size_t off, uint8_t v)
{
	acpi_buf_patch_le(b, off, v, 1);
}

void acpi_buf_patch_u16(struct acpi_buf *b, size_t off, uint16_t v)
{
	acpi_buf_patch_le(b, off, v, 2);
}

void acpi_buf_patch_u32(struct acpi_buf *b, size_t off, uint32_t v)
{
	acpi_buf_patch_le(b, off, v, 4);
}

void acpi_buf_patch_u64(struct acpi_buf *b, size_t off, uint64_t v)
{
	acpi_buf_patch_le(b, off, v, 8);
}

uint8_t acpi_buf_sum(struct acpi_buf *b, size_t off, size_t n)
{
	uint8_t sum = 0;

	if (check_range(b, off, n))
		return 0;
	for (size_t i = 0; i < n; i++)
		sum = (uint8_t)(sum + b->data[off + i]);
	return sum;
}

int acpi_buf_take(struct acpi_buf *b, uint8_t **data, size_t *len)
{
	int ret = b->err;

	if (ret) {
		acpi_buf_fini(b);
		return ret;
	}
	*data = b->data;
	*len = b->len;
	*b = ACPI_BUF_INIT;
	return 0;
}
