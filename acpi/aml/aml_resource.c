// SPDX-License-Identifier: MIT
/* Resource descriptors (ACPI 6.5 §6.4) for ResourceTemplate(). */
#include <errno.h>

#include "acpi/aml/aml_internal.h"

/* Large resource item names (byte 0 of a large descriptor). */
#define RES_MEMORY32_FIXED 0x86
#define RES_QWORD_ADDRESS 0x8A
#define RES_EXT_INTERRUPT 0x89
/* Small item: tag 0x08 (I/O port), length 7. */
#define RES_IO 0x47

struct aml *aml_resource_template(void)
{
	return aml_node_new(AML_K_RESTEMPLATE);
}

/* A descriptor node: an error if building its bytes failed. */
static struct aml *resource_done(struct aml *r)
{
	int err = aml_error(r);

	if (err) {
		aml_free(r);
		return aml_err(err);
	}
	return r;
}

/* A large descriptor whose body (after the 3-byte header) is `body_len` bytes. */
static struct aml *large_resource(uint8_t name, uint16_t body_len)
{
	struct aml *r = aml_node_new(AML_K_RESOURCE);

	if (aml_is_static(r))
		return r;
	acpi_buf_append_u8(&r->body, name);
	acpi_buf_append_u16(&r->body, body_len);
	return r;
}

struct aml *aml_memory32_fixed(uint32_t base, uint32_t len, enum aml_rw rw)
{
	struct aml *r;

	if ((unsigned int)rw > AML_READ_WRITE)
		return aml_err(-EINVAL);
	r = large_resource(RES_MEMORY32_FIXED, 9);
	if (aml_is_static(r))
		return r;
	acpi_buf_append_u8(&r->body, (uint8_t)rw); /* bit 0: write status */
	acpi_buf_append_u32(&r->body, base);
	acpi_buf_append_u32(&r->body, len);
	return resource_done(r);
}

struct aml *aml_interrupt(enum aml_consumer consumer, enum aml_trigger trigger,
			  enum aml_polarity polarity, enum aml_sharing sharing,
			  const uint32_t *irqs, unsigned int n)
{
	struct aml *r;
	uint8_t flags;

	if (!irqs || n == 0 || n > 255 || (unsigned int)consumer > AML_CONSUMER ||
	    (unsigned int)trigger > AML_EDGE || (unsigned int)polarity > AML_ACTIVE_LOW ||
	    (unsigned int)sharing > AML_SHARED)
		return aml_err(-EINVAL);
	/* Bit 0 consumer, bit 1 edge, bit 2 active low, bit 3 shared. */
	flags = (uint8_t)(consumer | trigger << 1 | polarity << 2 | sharing << 3);
	r = large_resource(RES_EXT_INTERRUPT, (uint16_t)(2 + 4 * n));
	if (aml_is_static(r))
		return r;
	acpi_buf_append_u8(&r->body, flags);
	acpi_buf_append_u8(&r->body, (uint8_t)n);
	for (unsigned int i = 0; i < n; i++)
		acpi_buf_append_u32(&r->body, irqs[i]);
	return resource_done(r);
}

struct aml *aml_io(uint16_t min, uint16_t max, uint8_t align, uint8_t len)
{
	struct aml *r;

	if (min > max)
		return aml_err(-EINVAL);
	r = aml_node_new(AML_K_RESOURCE);
	if (aml_is_static(r))
		return r;
	acpi_buf_append_u8(&r->body, RES_IO);
	acpi_buf_append_u8(&r->body, 0x01); /* Decode16 */
	acpi_buf_append_u16(&r->body, min);
	acpi_buf_append_u16(&r->body, max);
	acpi_buf_append_u8(&r->body, align);
	acpi_buf_append_u8(&r->body, len);
	return resource_done(r);
}

struct aml *aml_qword_memory(enum aml_consumer consumer, enum aml_cacheable cache, enum aml_rw rw,
			     uint64_t min, uint64_t len)
{
	struct aml *r;

	if ((unsigned int)consumer > AML_CONSUMER || (unsigned int)cache > AML_PREFETCHABLE ||
	    (unsigned int)rw > AML_READ_WRITE || len == 0 || min + (len - 1) < min)
		return aml_err(-EINVAL);
	r = large_resource(RES_QWORD_ADDRESS, 43);
	if (aml_is_static(r))
		return r;
	acpi_buf_append_u8(&r->body, 0x00); /* resource type: memory range */
	/* General flags: consumer bit 0, positive decode, MinFixed bit 2, MaxFixed bit 3. */
	acpi_buf_append_u8(&r->body, (uint8_t)(consumer | 1u << 2 | 1u << 3));
	/* Type-specific: bit 0 read-write, bits 1-2 cacheability, AddressRangeMemory, TypeStatic. */
	acpi_buf_append_u8(&r->body, (uint8_t)(rw | cache << 1));
	acpi_buf_append_u64(&r->body, 0);             /* granularity */
	acpi_buf_append_u64(&r->body, min);           /* range minimum */
	acpi_buf_append_u64(&r->body, min + len - 1); /* range maximum */
	acpi_buf_append_u64(&r->body, 0);             /* translation offset */
	acpi_buf_append_u64(&r->body, len);
	return resource_done(r);
}
