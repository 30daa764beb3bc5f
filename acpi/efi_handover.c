// SPDX-License-Identifier: MIT
/*
 * The ACPI + EFI hand-over blob. Pieces are laid out in dependency order so
 * every pointer is known when its holder is written:
 *
 *   DSDT, FADT (-> DSDT), MADT, GTDT, SPCR, XSDT (-> FADT..SPCR), RSDP (-> XSDT),
 *   EFI_RT_PROPERTIES_TABLE, FirmwareVendor string, configuration table
 *   (-> RSDP, RT properties), EFI system table (-> vendor, configuration table),
 *   EFI memory map (room for 3 descriptors).
 *
 * All pointers are guest physical addresses.
 */
#define LOG_PREFIX "acpi"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "acpi/aml/guid.h"
#include "acpi/crc32.h"
#include "acpi/efi_handover.h"
#include "vmm/core/log.h"

#define BLOB_ALIGN 16
#define MMAP_MAX_DESCS 3 /* RAM below the blob, the blob, RAM above it */

/* EFI_SYSTEM_TABLE field offsets (UEFI 2.10 §4.3, 64-bit). */
#define SYST_CRC32 16
#define SYST_FW_VENDOR 24
#define SYST_FW_REVISION 32
#define SYST_NR_TABLES 104
#define SYST_CONFIG_TABLE 112

#define RT_PROPERTIES_VERSION 1
#define RT_PROPERTIES_SIZE 8

/* Offsets of the pieces inside the blob. */
struct blob_layout {
	size_t dsdt, fadt, madt, gtdt, spcr, xsdt, rsdp;
	size_t rt_props, vendor, config, systab, mmap;
};

/* Starts a piece: aligns and returns its offset. */
static size_t piece(struct acpi_buf *b)
{
	acpi_buf_align(b, BLOB_ALIGN);
	return b->len;
}

static int build_tables(const struct acpi_machine *m, uint64_t gpa, struct acpi_buf *b,
			struct blob_layout *l)
{
	uint64_t tables[4];
	int ret;

	l->dsdt = piece(b);
	ret = acpi_build_dsdt(m, b);
	if (ret)
		return ret;
	l->fadt = piece(b);
	ret = acpi_build_fadt(gpa + l->dsdt, b);
	if (ret)
		return ret;
	l->madt = piece(b);
	ret = acpi_build_madt(m, b);
	if (ret)
		return ret;
	l->gtdt = piece(b);
	ret = acpi_build_gtdt(b);
	if (ret)
		return ret;
	l->spcr = piece(b);
	ret = acpi_build_spcr(b);
	if (ret)
		return ret;
	tables[0] = gpa + l->fadt;
	tables[1] = gpa + l->madt;
	tables[2] = gpa + l->gtdt;
	tables[3] = gpa + l->spcr;
	l->xsdt = piece(b);
	ret = acpi_build_xsdt(tables, ARRAY_SIZE(tables), b);
	if (ret)
		return ret;
	l->rsdp = piece(b);
	return acpi_build_rsdp(gpa + l->xsdt, b);
}

static void append_config_entry(struct acpi_buf *b, const uint8_t guid[ACPI_GUID_SIZE],
				uint64_t table)
{
	acpi_buf_append(b, guid, ACPI_GUID_SIZE);
	acpi_buf_append_u64(b, table);
}

static int build_system_table(uint64_t gpa, struct acpi_buf *b, struct blob_layout *l)
{
	static const uint8_t vendor[] = { 'v', 0, 'm', 0, 'm', 0, 0, 0 }; /* UTF-16LE "vmm" */
	uint8_t acpi20[ACPI_GUID_SIZE], rt_props[ACPI_GUID_SIZE];
	int ret;

	ret = acpi_guid_parse(EFI_ACPI_20_TABLE_GUID, acpi20);
	if (!ret)
		ret = acpi_guid_parse(EFI_RT_PROPERTIES_TABLE_GUID, rt_props);
	if (ret)
		return ret;

	/* EFI_RT_PROPERTIES_TABLE: no runtime service is supported. */
	l->rt_props = piece(b);
	acpi_buf_append_u16(b, RT_PROPERTIES_VERSION);
	acpi_buf_append_u16(b, RT_PROPERTIES_SIZE);
	acpi_buf_append_u32(b, 0); /* RuntimeServicesSupported */

	l->vendor = piece(b);
	acpi_buf_append(b, vendor, sizeof(vendor));

	l->config = piece(b);
	append_config_entry(b, acpi20, gpa + l->rsdp);
	append_config_entry(b, rt_props, gpa + l->rt_props);

	/* Zero except the fields set below: no consoles, no runtime or boot services. */
	l->systab = piece(b);
	acpi_buf_append_zero(b, EFI_SYSTEM_TABLE_SIZE);
	ret = acpi_buf_error(b);
	if (ret)
		return ret;
	acpi_buf_patch_u64(b, l->systab, EFI_SYSTEM_TABLE_SIGNATURE);
	acpi_buf_patch_u32(b, l->systab + 8, EFI_SYSTEM_TABLE_REVISION);
	acpi_buf_patch_u32(b, l->systab + 12, EFI_SYSTEM_TABLE_SIZE); /* HeaderSize */
	acpi_buf_patch_u64(b, l->systab + SYST_FW_VENDOR, gpa + l->vendor);
	acpi_buf_patch_u32(b, l->systab + SYST_FW_REVISION, 1);
	acpi_buf_patch_u64(b, l->systab + SYST_NR_TABLES, 2);
	acpi_buf_patch_u64(b, l->systab + SYST_CONFIG_TABLE, gpa + l->config);
	ret = acpi_buf_error(b);
	if (ret)
		return ret;
	/* The header CRC covers HeaderSize bytes with the CRC field zero. */
	acpi_buf_patch_u32(b, l->systab + SYST_CRC32,
			   acpi_crc32(b->data + l->systab, EFI_SYSTEM_TABLE_SIZE));
	return acpi_buf_error(b);
}

static void patch_desc(struct acpi_buf *b, size_t off, uint32_t type, uint64_t start, uint64_t end)
{
	acpi_buf_patch_u32(b, off, type);
	acpi_buf_patch_u64(b, off + 8, start);                       /* PhysicalStart */
	acpi_buf_patch_u64(b, off + 16, 0);                          /* VirtualStart */
	acpi_buf_patch_u64(b, off + 24, (end - start) / EFI_PAGE_SIZE); /* NumberOfPages */
	acpi_buf_patch_u64(b, off + 32, EFI_MEMORY_WB);              /* Attribute */
}

/*
 * The memory map: RAM is EfiConventionalMemory except the blob's own pages,
 * which are EfiACPIReclaimMemory (the kernel then keeps them and maps the
 * tables; EfiConventionalMemory there would make it reject the tables).
 */
static int build_memory_map(const struct acpi_machine *m, uint64_t gpa, size_t max_size,
			    struct acpi_buf *b, struct blob_layout *l, struct acpi_blob *out)
{
	uint64_t ram_end = m->ram_base + m->ram_size;
	uint64_t res_end;
	unsigned int n = 0;
	int ret;

	l->mmap = piece(b);
	acpi_buf_append_zero(b, MMAP_MAX_DESCS * EFI_MMAP_DESC_SIZE);
	ret = acpi_buf_error(b);
	if (ret)
		return ret;
	if (b->len > max_size) {
		log_err("ACPI blob needs %zu bytes, only %zu reserved", b->len, max_size);
		return -ENOSPC;
	}
	/* gpa, ram_end are page-aligned and gpa + max_size <= ram_end, so res_end <= ram_end. */
	res_end = ALIGN_UP(gpa + b->len, EFI_PAGE_SIZE);
	if (gpa > m->ram_base)
		patch_desc(b, l->mmap + EFI_MMAP_DESC_SIZE * n++, EFI_CONVENTIONAL_MEMORY,
			   m->ram_base, gpa);
	patch_desc(b, l->mmap + EFI_MMAP_DESC_SIZE * n++, EFI_ACPI_RECLAIM_MEMORY, gpa, res_end);
	if (res_end < ram_end)
		patch_desc(b, l->mmap + EFI_MMAP_DESC_SIZE * n++, EFI_CONVENTIONAL_MEMORY,
			   res_end, ram_end);

	out->reserved_size = res_end - gpa;
	out->mmap_gpa = gpa + l->mmap;
	out->mmap_size = n * EFI_MMAP_DESC_SIZE;
	out->mmap_desc_size = EFI_MMAP_DESC_SIZE;
	out->mmap_desc_ver = EFI_MMAP_DESC_VERSION;
	return acpi_buf_error(b);
}

static int check_placement(const struct acpi_machine *m, uint64_t gpa, size_t max_size)
{
	uint64_t ram_end = m->ram_base + m->ram_size;

	if (!IS_ALIGNED(gpa, EFI_PAGE_SIZE) || gpa < m->ram_base || gpa >= ram_end ||
	    max_size == 0 || max_size > ram_end - gpa) {
		log_err("ACPI blob at 0x%llx (+0x%zx) is not 4 KiB-aligned inside RAM [0x%llx, 0x%llx)",
			(unsigned long long)gpa, max_size, (unsigned long long)m->ram_base,
			(unsigned long long)ram_end);
		return -EINVAL;
	}
	return 0;
}

int acpi_build_blob(const struct acpi_machine *m, uint64_t blob_gpa, size_t max_size,
		    struct acpi_blob *out)
{
	struct acpi_buf b = ACPI_BUF_INIT;
	struct blob_layout l = { 0 };
	struct acpi_blob blob = { 0 };
	int ret;

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	ret = acpi_machine_check(m);
	if (ret)
		return ret;
	ret = check_placement(m, blob_gpa, max_size);
	if (ret)
		return ret;

	ret = build_tables(m, blob_gpa, &b, &l);
	if (ret)
		goto err;
	ret = build_system_table(blob_gpa, &b, &l);
	if (ret)
		goto err;
	ret = build_memory_map(m, blob_gpa, max_size, &b, &l, &blob);
	if (ret)
		goto err;
	ret = acpi_buf_take(&b, &blob.data, &blob.size);
	if (ret)
		goto err;

	blob.gpa = blob_gpa;
	blob.rsdp_gpa = blob_gpa + l.rsdp;
	blob.systab_gpa = blob_gpa + l.systab;
	*out = blob;
	return 0;
err:
	acpi_buf_fini(&b);
	return ret;
}

void acpi_blob_free(struct acpi_blob *blob)
{
	if (!blob)
		return;
	free(blob->data);
	memset(blob, 0, sizeof(*blob));
}
