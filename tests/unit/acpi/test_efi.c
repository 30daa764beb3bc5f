// SPDX-License-Identifier: MIT
/*
 * The EFI hand-over blob, read the way Linux reads it: from the system table
 * through the configuration table to the RSDP and every ACPI table, and the
 * memory map as the only description of RAM.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acpi/aml/guid.h"
#include "acpi/crc32.h"
#include "acpi/efi_handover.h"
#include "tests/unit/acpi/acpi_test.h"
#include "vmm/core/log.h"

Test(acpi_efi, crc32_vectors)
{
	cr_assert_eq(acpi_crc32("123456789", 9), 0xCBF43926u);
	cr_assert_eq(acpi_crc32("", 0), 0x00000000u);
	cr_assert_eq(acpi_crc32("a", 1), 0xE8B7BE43u);
	cr_assert_eq(acpi_crc32("The quick brown fox jumps over the lazy dog", 43), 0x414FA339u);
}

Test(acpi_efi, guid_layout)
{
	static const uint8_t acpi20[] = { 0x71, 0xE8, 0x68, 0x88, 0xF1, 0xE4, 0xD3, 0x11,
					  0xBC, 0x22, 0x00, 0x80, 0xC7, 0x3C, 0x88, 0x81 };
	uint8_t g[ACPI_GUID_SIZE];

	cr_assert_eq(acpi_guid_parse(EFI_ACPI_20_TABLE_GUID, g), 0);
	cr_assert_arr_eq(g, acpi20, sizeof(g));
	cr_assert_eq(acpi_guid_parse("8868E871-E4F1-11D3-BC22-0080C73C8881", g), 0);
	cr_assert_arr_eq(g, acpi20, sizeof(g), "hex digits in either case");
	cr_assert_eq(acpi_guid_parse("8868e871e4f1-11d3-bc22-0080c73c8881-", g), -EINVAL);
	cr_assert_eq(acpi_guid_parse("8868e871-e4f1-11d3-bc22-0080c73c888", g), -EINVAL);
	cr_assert_eq(acpi_guid_parse(NULL, g), -EINVAL);
}

/* A pointer to `len` bytes at guest address gpa, which must lie inside the blob. */
static const uint8_t *at(const struct acpi_blob *b, uint64_t gpa, size_t len)
{
	cr_assert_geq(gpa, b->gpa, "0x%llx is below the blob", (unsigned long long)gpa);
	cr_assert_leq(gpa - b->gpa + len, b->size, "0x%llx+%zu is past the blob's end",
		      (unsigned long long)gpa, len);
	return b->data + (gpa - b->gpa);
}

static const uint8_t *table_at(const struct acpi_blob *b, uint64_t gpa, const char *sig)
{
	const uint8_t *t = at(b, gpa, 36);
	uint32_t len = (uint32_t)test_le(t + 4, 4);

	cr_assert_arr_eq(t, sig, 4, "table at 0x%llx is not %s", (unsigned long long)gpa, sig);
	t = at(b, gpa, len);
	cr_assert_eq(test_sum(t, len), 0, "%s checksum", sig);
	return t;
}

static void check_system_table(const struct acpi_blob *b)
{
	uint8_t acpi20[ACPI_GUID_SIZE], rtprop[ACPI_GUID_SIZE], copy[EFI_SYSTEM_TABLE_SIZE];
	const uint8_t *st = at(b, b->systab_gpa, EFI_SYSTEM_TABLE_SIZE);
	const uint8_t *cfg, *vendor, *rt, *rsdp;

	cr_assert_eq(test_le(st, 8), 0x5453595320494249ULL, "signature \"IBI SYST\"");
	cr_assert_arr_eq(st, "IBI SYST", 8);
	cr_assert_eq(test_le(st + 8, 4), (2u << 16) | 70u, "revision 2.70");
	cr_assert_eq(test_le(st + 12, 4), 120, "HeaderSize");
	cr_assert_eq(test_le(st + 20, 4), 0, "header reserved");
	memcpy(copy, st, sizeof(copy));
	memset(copy + 16, 0, 4);
	cr_assert_eq(test_le(st + 16, 4), acpi_crc32(copy, sizeof(copy)), "header CRC32");

	vendor = at(b, test_le(st + 24, 8), 8);
	cr_assert_arr_eq(vendor, "v\0m\0m\0\0\0", 8, "FirmwareVendor: UTF-16 \"vmm\"");
	for (unsigned int off = 40; off <= 96; off += 8)
		cr_assert_eq(test_le(st + off, 8), 0, "console/services pointer at %u must be 0", off);
	cr_assert_eq(test_le(st + 104, 8), 2, "NumberOfTableEntries");

	cr_assert_eq(acpi_guid_parse(EFI_ACPI_20_TABLE_GUID, acpi20), 0);
	cr_assert_eq(acpi_guid_parse(EFI_RT_PROPERTIES_TABLE_GUID, rtprop), 0);
	cfg = at(b, test_le(st + 112, 8), 2 * EFI_CONFIG_TABLE_ENTRY_SIZE);
	cr_assert_arr_eq(cfg, acpi20, ACPI_GUID_SIZE, "config[0] is ACPI_20_TABLE_GUID");
	cr_assert_eq(test_le(cfg + 16, 8), b->rsdp_gpa);
	cr_assert_arr_eq(cfg + 24, rtprop, ACPI_GUID_SIZE, "config[1] is EFI_RT_PROPERTIES_TABLE_GUID");
	rt = at(b, test_le(cfg + 40, 8), 8);
	cr_assert_eq(test_le(rt, 2), 1, "RT properties version");
	cr_assert_eq(test_le(rt + 2, 2), 8, "RT properties length");
	cr_assert_eq(test_le(rt + 4, 4), 0, "RuntimeServicesSupported");

	rsdp = at(b, b->rsdp_gpa, 36);
	cr_assert_arr_eq(rsdp, "RSD PTR ", 8);
	cr_assert_eq(test_sum(rsdp, 20), 0);
	cr_assert_eq(test_sum(rsdp, 36), 0);
}

/* Follows RSDP -> XSDT -> tables and FADT -> DSDT; disassembles each with iasl. */
static void check_tables(const struct acpi_blob *b, const char *dir)
{
	static const char *const sigs[] = { "FACP", "APIC", "GTDT", "SPCR" };
	const uint8_t *rsdp = at(b, b->rsdp_gpa, 36);
	const uint8_t *xsdt = table_at(b, test_le(rsdp + 24, 8), "XSDT");
	const uint8_t *fadt = NULL;
	char name[16];

	cr_assert_eq(test_le(xsdt + 4, 4), 36 + 8 * ARRAY_SIZE(sigs));
	cr_assert_eq(iasl_disassemble_problems(dir, "xsdt", xsdt, test_le(xsdt + 4, 4), false), 0);
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++) {
		const uint8_t *t = table_at(b, test_le(xsdt + 36 + 8 * i, 8), sigs[i]);

		if (i == 0)
			fadt = t;
		snprintf(name, sizeof(name), "t%zu", i);
		cr_assert_eq(iasl_disassemble_problems(dir, name, t, test_le(t + 4, 4), false), 0,
			     "%s in the blob is not clean", sigs[i]);
	}
	cr_assert_eq(test_le(fadt + 40, 4), 0, "32-bit DSDT unused");
	{
		const uint8_t *dsdt = table_at(b, test_le(fadt + 140, 8), "DSDT");

		cr_assert_eq(iasl_disassemble_problems(dir, "dsdt", dsdt, test_le(dsdt + 4, 4), false), 0);
	}
}

/* The memory map: sorted, contiguous, exactly RAM, the blob's pages reclaimable. */
static void check_memory_map(const struct acpi_blob *b, const struct acpi_machine *m,
			     unsigned int want_descs)
{
	uint64_t ram_end = m->ram_base + m->ram_size, next = m->ram_base;
	unsigned int n = b->mmap_size / EFI_MMAP_DESC_SIZE, reclaim = 0;
	const uint8_t *map;

	cr_assert_eq(b->mmap_desc_size, 48);
	cr_assert_eq(b->mmap_desc_ver, 1);
	cr_assert_eq(b->mmap_size % 48, 0);
	cr_assert_eq(n, want_descs, "%u descriptors, expected %u", n, want_descs);
	map = at(b, b->mmap_gpa, b->mmap_size);
	for (unsigned int i = 0; i < n; i++) {
		const uint8_t *d = map + 48 * i;
		uint32_t type = (uint32_t)test_le(d, 4);
		uint64_t start = test_le(d + 8, 8), pages = test_le(d + 24, 8);

		cr_assert(type == EFI_CONVENTIONAL_MEMORY || type == EFI_ACPI_RECLAIM_MEMORY,
			  "descriptor %u: type %u", i, type);
		cr_assert_eq(start, next, "descriptor %u starts at 0x%llx, expected 0x%llx (gap or overlap)",
			     i, (unsigned long long)start, (unsigned long long)next);
		cr_assert_eq(start % 4096, 0);
		cr_assert_gt(pages, 0, "descriptor %u is empty", i);
		cr_assert_eq(test_le(d + 16, 8), 0, "VirtualStart");
		cr_assert_eq(test_le(d + 32, 8), EFI_MEMORY_WB, "attribute WB");
		if (type == EFI_ACPI_RECLAIM_MEMORY) {
			reclaim++;
			cr_assert_eq(start, b->gpa);
			cr_assert_eq(pages * 4096, b->reserved_size);
		}
		next = start + pages * 4096;
	}
	cr_assert_eq(next, ram_end, "the map ends at 0x%llx, RAM at 0x%llx", (unsigned long long)next,
		     (unsigned long long)ram_end);
	cr_assert_eq(reclaim, 1);
	cr_assert_eq(b->reserved_size % 4096, 0);
	cr_assert_geq(b->reserved_size, b->size, "the whole blob is reserved");
	cr_assert_lt(b->reserved_size - b->size, 4096, "only the pages the blob uses are reserved");
}

Test(acpi_efi, blob_at_top_of_ram)
{
	struct test_machine tm;
	struct acpi_blob b;
	char dir[PATH_MAX];
	uint64_t gpa;

	acpi_test_mkdtemp(dir);
	test_machine_init(&tm, 6, 2);
	gpa = tm.m.ram_base + tm.m.ram_size - ACPI_BLOB_MAX_SIZE;
	cr_assert_eq(acpi_build_blob(&tm.m, gpa, ACPI_BLOB_MAX_SIZE, &b), 0);
	cr_assert_not_null(b.data);
	cr_assert_eq(b.gpa, gpa);
	cr_assert_leq(b.size, ACPI_BLOB_MAX_SIZE);
	cr_assert_geq(b.systab_gpa, gpa);
	check_system_table(&b);
	check_tables(&b, dir);
	/* RAM below the blob, the blob, the unused rest of the reservation above it. */
	check_memory_map(&b, &tm.m, 3);
	acpi_blob_free(&b);
	cr_assert_null(b.data);
	acpi_blob_free(&b);
	acpi_blob_free(NULL);
	test_machine_fini(&tm);
	acpi_test_rmdir(dir);
}

Test(acpi_efi, blob_placements)
{
	struct test_machine tm;
	struct acpi_blob b;
	uint64_t reserved;

	test_machine_init(&tm, 2, 1);
	/* At the very start of RAM: no conventional memory below it. */
	cr_assert_eq(acpi_build_blob(&tm.m, tm.m.ram_base, ACPI_BLOB_MAX_SIZE, &b), 0);
	check_memory_map(&b, &tm.m, 2);
	reserved = b.reserved_size;
	acpi_blob_free(&b);

	/* Ending exactly at the end of RAM. */
	tm.m.ram_size = SZ_1M + reserved;
	cr_assert_eq(acpi_build_blob(&tm.m, tm.m.ram_base + SZ_1M, reserved, &b), 0);
	check_memory_map(&b, &tm.m, 2);
	acpi_blob_free(&b);

	/* RAM that is only the blob. */
	tm.m.ram_size = reserved;
	cr_assert_eq(acpi_build_blob(&tm.m, tm.m.ram_base, reserved, &b), 0);
	check_memory_map(&b, &tm.m, 1);
	acpi_blob_free(&b);
	test_machine_fini(&tm);
}

Test(acpi_efi, largest_machine_fits)
{
	struct test_machine tm;
	struct acpi_blob b;
	uint64_t gpa;

	test_machine_init(&tm, 512, 1);
	tm.m.nr_virtio_mmio = ACPI_MAX_VIRTIO_MMIO;
	tm.m.ram_size = 4ULL << 30;
	gpa = tm.m.ram_base + tm.m.ram_size - ACPI_BLOB_MAX_SIZE;
	cr_assert_eq(acpi_build_blob(&tm.m, gpa, ACPI_BLOB_MAX_SIZE, &b), 0);
	cr_assert_lt(b.size, ACPI_BLOB_MAX_SIZE / 4, "blob for 512 vCPUs is %zu bytes", b.size);
	check_system_table(&b);
	check_memory_map(&b, &tm.m, 3);
	acpi_blob_free(&b);
	test_machine_fini(&tm);
}

Test(acpi_efi, bad_placements_and_sizes)
{
	int devnull = open("/dev/null", O_WRONLY);
	struct test_machine tm;
	struct acpi_blob b;
	uint64_t end;

	log_set_fd(devnull);
	test_machine_init(&tm, 6, 2);
	end = tm.m.ram_base + tm.m.ram_size;
	memset(&b, 0xA5, sizeof(b));
	cr_assert_eq(acpi_build_blob(&tm.m, end - SZ_1M + 8, SZ_64K, &b), -EINVAL, "unaligned");
	cr_assert_null(b.data, "a failed build leaves *out zeroed");
	cr_assert_eq(b.size, 0);
	cr_assert_eq(acpi_build_blob(&tm.m, tm.m.ram_base - SZ_4K, SZ_4K, &b), -EINVAL, "below RAM");
	cr_assert_eq(acpi_build_blob(&tm.m, end, SZ_4K, &b), -EINVAL, "at the end of RAM");
	cr_assert_eq(acpi_build_blob(&tm.m, end - SZ_4K, SZ_64K, &b), -EINVAL, "past the end of RAM");
	cr_assert_eq(acpi_build_blob(&tm.m, end - SZ_64K, 0, &b), -EINVAL, "empty reservation");
	cr_assert_eq(acpi_build_blob(&tm.m, end - SZ_64K, 512, &b), -ENOSPC, "too small");
	cr_assert_null(b.data);
	tm.cpus[0].cold_booted = false;
	cr_assert_eq(acpi_build_blob(&tm.m, end - SZ_64K, SZ_64K, &b), -EINVAL, "bad machine");
	cr_assert_eq(acpi_build_blob(NULL, end - SZ_64K, SZ_64K, &b), -EINVAL);
	cr_assert_eq(acpi_build_blob(&tm.m, end - SZ_64K, SZ_64K, NULL), -EINVAL);
	log_set_fd(-1);
	close(devnull);
	test_machine_fini(&tm);
}
