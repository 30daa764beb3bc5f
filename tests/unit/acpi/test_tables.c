// SPDX-License-Identifier: MIT
/*
 * The static tables, checked three ways: iasl disassembles them without a
 * complaint, iasl recompiles its own disassembly to the same bytes (where
 * iasl 20200925 knows the whole layout), and field-by-field asserts on the raw
 * bytes for the values that matter to Linux.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acpi/acpi.h"
#include "tests/unit/acpi/acpi_test.h"
#include "vmm/arm64/memory_map.h"
#include "vmm/core/log.h"

struct fixture {
	char dir[PATH_MAX];
	struct test_machine tm;
	struct acpi_buf b;
};

static void setup(struct fixture *f, uint32_t n, uint32_t cold)
{
	acpi_test_mkdtemp(f->dir);
	test_machine_init(&f->tm, n, cold);
	acpi_buf_init(&f->b);
}

static void teardown(struct fixture *f)
{
	acpi_buf_fini(&f->b);
	test_machine_fini(&f->tm);
	acpi_test_rmdir(f->dir);
}

static void assert_header(const uint8_t *t, size_t len, const char *sig, uint8_t rev)
{
	cr_assert_geq(len, 36);
	cr_assert_arr_eq(t, sig, 4, "signature");
	cr_assert_eq(test_le(t + 4, 4), len, "Length %llu, table is %zu bytes",
		     (unsigned long long)test_le(t + 4, 4), len);
	cr_assert_eq(t[8], rev, "revision %u, expected %u", t[8], rev);
	cr_assert_eq(test_sum(t, len), 0, "%s checksum: bytes sum to 0x%02x", sig, test_sum(t, len));
	cr_assert_arr_eq(t + 10, "VMM   ", 6);
	cr_assert_arr_eq(t + 16, "VMMARM64", 8);
}

/*
 * Disassembles cleanly, then recompiles to identical bytes except the
 * checksum and the creator fields, which iasl rewrites as its own.
 */
static char *assert_roundtrip(const char *dir, const char *name, const uint8_t *t, size_t len)
{
	char *dsl = iasl_disassemble(dir, name, t, len);
	char src[64];
	uint8_t *bin;
	size_t bin_len;

	snprintf(src, sizeof(src), "%s.dsl", name);
	bin = iasl_compile(dir, src, NULL, &bin_len, NULL, NULL);
	cr_assert_eq(bin_len, len, "%s recompiles to %zu bytes, ours is %zu", name, bin_len, len);
	for (size_t i = 0; i < len; i++) {
		if (i == 9 || (i >= 28 && i < 36))
			continue;
		cr_assert_eq(bin[i], t[i], "%s byte 0x%zx: ours 0x%02x, iasl 0x%02x", name, i, t[i], bin[i]);
	}
	free(bin);
	return dsl;
}

static size_t count(const char *text, const char *needle)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* iasl prints "Name : value" with the name right-aligned: match on "Name : value". */
static void assert_field(const char *dsl, const char *name, const char *value)
{
	char needle[160];

	snprintf(needle, sizeof(needle), "%s : %s", name, value);
	cr_assert_not_null(strstr(dsl, needle), "\"%s\" not in the disassembly", needle);
}

/* --- MADT ------------------------------------------------------------------------ */

#define MADT_GICD 44
#define MADT_GICC(i) (MADT_GICD + 24 + 82 * (i))

static void check_gicc(const uint8_t *g, uint32_t i, const struct acpi_cpu *cpu, bool pmu)
{
	cr_assert_eq(g[0], 0x0B, "GICC %u type", i);
	cr_assert_eq(g[1], 82, "GICC %u length", i);
	cr_assert_eq(test_le(g + 4, 4), 0, "GICC %u CPU interface number", i);
	cr_assert_eq(test_le(g + 8, 4), i, "GICC %u UID", i);
	cr_assert_eq(test_le(g + 12, 4), cpu->cold_booted ? 0x1 : 0x8,
		     "GICC %u flags 0x%llx: cold-booted -> Enabled, others -> Online Capable only", i,
		     (unsigned long long)test_le(g + 12, 4));
	cr_assert_eq(test_le(g + 16, 4), 0, "GICC %u parking protocol", i);
	cr_assert_eq(test_le(g + 20, 4), pmu ? 23 : 0, "GICC %u performance GSIV", i);
	for (unsigned int off = 24; off < 56; off += 8)
		cr_assert_eq(test_le(g + off, 8), 0, "GICC %u field at %u", i, off);
	cr_assert_eq(test_le(g + 56, 4), 0, "GICC %u VGIC maintenance interrupt", i);
	cr_assert_eq(test_le(g + 60, 8), 0, "GICC %u GICR base must be 0 (GICR structures)", i);
	cr_assert_eq(test_le(g + 68, 8), cpu->mpidr, "GICC %u MPIDR", i);
	for (unsigned int off = 76; off < 82; off++)
		cr_assert_eq(g[off], 0, "GICC %u byte %u", i, off);
}

static void check_gicr(const uint8_t *r, uint64_t base, uint64_t len)
{
	cr_assert_eq(r[0], 0x0E);
	cr_assert_eq(r[1], 16);
	cr_assert_eq(r[2], 0);
	cr_assert_eq(test_le(r + 4, 8), base, "GICR base 0x%llx, expected 0x%llx",
		     (unsigned long long)test_le(r + 4, 8), (unsigned long long)base);
	cr_assert_eq(test_le(r + 12, 4), len, "GICR length 0x%llx, expected 0x%llx",
		     (unsigned long long)test_le(r + 12, 4), (unsigned long long)len);
}

Test(acpi_tables, madt_two_of_six)
{
	struct fixture f;
	const uint8_t *t;
	char *dsl;

	setup(&f, 6, 2);
	cr_assert_eq(acpi_build_madt(&f.tm.m, &f.b), 0);
	t = f.b.data;
	assert_header(t, f.b.len, "APIC", 6);
	cr_assert_eq(f.b.len, 44 + 24 + 6 * 82 + 16);
	cr_assert_eq(test_le(t + 36, 4), 0, "local interrupt controller address");
	cr_assert_eq(test_le(t + 40, 4), 0, "MADT flags");

	cr_assert_eq(t[MADT_GICD], 0x0C);
	cr_assert_eq(t[MADT_GICD + 1], 24);
	cr_assert_eq(test_le(t + MADT_GICD + 8, 8), LAYOUT_GICD_BASE);
	cr_assert_eq(t[MADT_GICD + 20], 3, "GIC version");
	for (uint32_t i = 0; i < 6; i++)
		check_gicc(t + MADT_GICC(i), i, &f.tm.cpus[i], true);
	check_gicr(t + MADT_GICC(6), LAYOUT_GICR_BASE, 6 * LAYOUT_GICR_STRIDE);

	dsl = iasl_disassemble(f.dir, "apic", t, f.b.len);
	/* iasl 20200925 decodes GICC up to the SPE interrupt and bit 0 of the flags only. */
	cr_assert_eq(count(dsl, "[Generic Interrupt Controller]"), 6);
	cr_assert_eq(count(dsl, "Processor Enabled : 1"), 2);
	cr_assert_eq(count(dsl, "Processor Enabled : 0"), 4);
	cr_assert_eq(count(dsl, "Length : 52"), 6, "GICC length 82 (0x52)");
	cr_assert_eq(count(dsl, "Performance Interrupt : 00000017"), 6);
	assert_field(dsl, "ARM MPIDR", "0000000000000000");
	assert_field(dsl, "ARM MPIDR", "0000000000000101");
	assert_field(dsl, "Version", "03");
	assert_field(dsl, "Base Address", "00000000080A0000");
	assert_field(dsl, "Length", "000C0000");
	free(dsl);
	teardown(&f);
}

Test(acpi_tables, madt_without_pmu)
{
	struct fixture f;

	setup(&f, 2, 1);
	f.tm.m.pmu = false;
	cr_assert_eq(acpi_build_madt(&f.tm.m, &f.b), 0);
	check_gicc(f.b.data + MADT_GICC(0), 0, &f.tm.cpus[0], false);
	check_gicc(f.b.data + MADT_GICC(1), 1, &f.tm.cpus[1], false);
	teardown(&f);
}

/* Redistributors past the first 123 vCPUs go to the high region. */
Test(acpi_tables, madt_gicr_ranges)
{
	static const uint32_t sizes[] = { 1, 122, 123, 124, 200, LAYOUT_MAX_VCPUS };
	struct fixture f;

	for (size_t s = 0; s < ARRAY_SIZE(sizes); s++) {
		uint32_t n = sizes[s];
		uint64_t low = MIN(n, LAYOUT_GICR_LOW_MAX_VCPUS);
		size_t gicr;
		char name[16];

		setup(&f, n, 1);
		cr_assert_eq(acpi_build_madt(&f.tm.m, &f.b), 0);
		assert_header(f.b.data, f.b.len, "APIC", 6);
		gicr = MADT_GICC(n);
		check_gicr(f.b.data + gicr, LAYOUT_GICR_BASE, low * LAYOUT_GICR_STRIDE);
		cr_assert_leq(LAYOUT_GICR_BASE + low * LAYOUT_GICR_STRIDE, LAYOUT_GICR_LOW_LIMIT);
		if (n > low) {
			check_gicr(f.b.data + gicr + 16, LAYOUT_GICR_HIGH_BASE,
				   (n - low) * LAYOUT_GICR_STRIDE);
			cr_assert_eq(f.b.len, gicr + 32, "%u vCPUs: two GICR structures", n);
		} else {
			cr_assert_eq(f.b.len, gicr + 16, "%u vCPUs: one GICR structure", n);
		}
		for (uint32_t i = 0; i < n; i++)
			check_gicc(f.b.data + MADT_GICC(i), i, &f.tm.cpus[i], true);
		snprintf(name, sizeof(name), "apic%u", n);
		cr_assert_eq(iasl_disassemble_problems(f.dir, name, f.b.data, f.b.len, false), 0,
			     "%u vCPUs: iasl -d is not clean", n);
		teardown(&f);
	}
}

Test(acpi_tables, table_appended_after_other_data)
{
	struct fixture f;

	setup(&f, 3, 3);
	acpi_buf_append(&f.b, "prefix", 6);
	cr_assert_eq(acpi_build_madt(&f.tm.m, &f.b), 0);
	assert_header(f.b.data + 6, f.b.len - 6, "APIC", 6);
	cr_assert_arr_eq(f.b.data, "prefix", 6);
	teardown(&f);
}

Test(acpi_tables, invalid_machines_are_rejected)
{
	int devnull = open("/dev/null", O_WRONLY);
	struct fixture f;
	struct acpi_machine m;

	setup(&f, 4, 2);
	log_set_fd(devnull); /* the rejections are logged */
	m = f.tm.m;
	m.nr_cpus = 0;
	cr_assert_eq(acpi_build_madt(&m, &f.b), -EINVAL);
	m = f.tm.m;
	m.nr_cpus = LAYOUT_MAX_VCPUS + 1;
	cr_assert_eq(acpi_build_madt(&m, &f.b), -EINVAL);
	m = f.tm.m;
	m.cpus = NULL;
	cr_assert_eq(acpi_build_dsdt(&m, &f.b), -EINVAL);
	cr_assert_eq(acpi_build_madt(NULL, &f.b), -EINVAL);

	f.tm.cpus[0].cold_booted = false;
	cr_assert_eq(acpi_build_madt(&f.tm.m, &f.b), -EINVAL, "the boot vCPU must be cold-booted");
	f.tm.cpus[0].cold_booted = true;
	f.tm.cpus[3].mpidr = f.tm.cpus[1].mpidr;
	cr_assert_eq(acpi_build_madt(&f.tm.m, &f.b), -EINVAL, "duplicate MPIDR");
	f.tm.cpus[3].mpidr = 1ULL << 31; /* MPIDR_EL1.U-style bit, not affinity */
	cr_assert_eq(acpi_build_dsdt(&f.tm.m, &f.b), -EINVAL);
	f.tm.cpus[3].mpidr = 0x3;

	m = f.tm.m;
	m.ram_base = LAYOUT_RAM_BASE + 0x800;
	cr_assert_eq(acpi_build_madt(&m, &f.b), -EINVAL, "unaligned RAM");
	m = f.tm.m;
	m.ram_base = 0;
	cr_assert_eq(acpi_build_madt(&m, &f.b), -EINVAL, "RAM below the RAM window");
	m = f.tm.m;
	m.ram_size = LAYOUT_RAM_MAX;
	m.ram_base = LAYOUT_RAM_BASE + SZ_4K;
	cr_assert_eq(acpi_build_madt(&m, &f.b), -EINVAL, "RAM overlapping the high GICR region");
	m = f.tm.m;
	m.nr_virtio_mmio = ACPI_MAX_VIRTIO_MMIO + 1;
	cr_assert_eq(acpi_build_dsdt(&m, &f.b), -EINVAL);

	cr_assert_eq(f.b.len, 0, "nothing is appended for a rejected description");
	cr_assert_eq(acpi_machine_check(&f.tm.m), 0);
	log_set_fd(-1);
	close(devnull);
	teardown(&f);
}

/* --- FADT ------------------------------------------------------------------------ */

Test(acpi_tables, fadt)
{
	const uint64_t dsdt = 0x7FFF0000ULL;
	struct fixture f;
	const uint8_t *t;
	char *dsl;

	setup(&f, 1, 1);
	cr_assert_eq(acpi_build_fadt(dsdt, &f.b), 0);
	t = f.b.data;
	assert_header(t, f.b.len, "FACP", 6);
	cr_assert_eq(f.b.len, 276);
	cr_assert_eq(test_le(t + 36, 4), 0, "FIRMWARE_CTRL");
	cr_assert_eq(test_le(t + 40, 4), 0, "32-bit DSDT");
	cr_assert_eq(test_le(t + 46, 2), 0, "SCI_INT");
	cr_assert_eq(test_le(t + 112, 4), (1u << 20) | (1u << 4) | (1u << 5),
		     "flags: HW_REDUCED_ACPI | PWR_BUTTON | SLP_BUTTON");
	cr_assert_eq(test_le(t + 129, 2), 0x3, "ARM_BOOT_ARCH: PSCI_COMPLIANT | PSCI_USE_HVC");
	cr_assert_eq(t[131], 5, "FADT minor version");
	cr_assert_eq(test_le(t + 132, 8), 0, "X_FIRMWARE_CTRL");
	cr_assert_eq(test_le(t + 140, 8), dsdt, "X_DSDT");
	for (size_t off = 148; off < 276; off++)
		cr_assert_eq(t[off], 0, "HW-reduced: byte %zu of the PM/GPE/sleep blocks", off);

	dsl = assert_roundtrip(f.dir, "facp", t, f.b.len);
	assert_field(dsl, "Hardware Reduced (V5)", "1");
	assert_field(dsl, "Control Method Power Button (V1)", "1");
	assert_field(dsl, "PSCI Compliant", "1");
	assert_field(dsl, "Must use HVC for PSCI", "1");
	assert_field(dsl, "FADT Minor Revision", "05");
	assert_field(dsl, "DSDT Address", "000000007FFF0000");
	free(dsl);
	cr_assert_eq(acpi_build_fadt(0, &f.b), -EINVAL);
	teardown(&f);
}

/* --- GTDT ------------------------------------------------------------------------ */

Test(acpi_tables, gtdt)
{
	static const struct {
		size_t off;
		uint32_t gsiv, flags;
	} timers[] = {
		{ 48, 29, 0 },     /* secure EL1 */
		{ 56, 30, 1u << 2 }, /* non-secure EL1: always-on */
		{ 64, 27, 0 },     /* virtual */
		{ 72, 26, 0 },     /* EL2 */
	};
	struct fixture f;
	const uint8_t *t;
	char *dsl;

	setup(&f, 1, 1);
	cr_assert_eq(acpi_build_gtdt(&f.b), 0);
	t = f.b.data;
	assert_header(t, f.b.len, "GTDT", 2);
	cr_assert_eq(f.b.len, 96);
	cr_assert_eq(test_le(t + 36, 8), UINT64_MAX, "no CntControlBase");
	cr_assert_eq(test_le(t + 80, 8), UINT64_MAX, "no CntReadBase");
	cr_assert_eq(test_le(t + 88, 4), 0, "platform timers");
	for (size_t i = 0; i < ARRAY_SIZE(timers); i++) {
		cr_assert_eq(test_le(t + timers[i].off, 4), timers[i].gsiv, "timer GSIV at %zu",
			     timers[i].off);
		/* Level-triggered, active-high (bits 0 and 1 clear), as QEMU virt. */
		cr_assert_eq(test_le(t + timers[i].off + 4, 4), timers[i].flags, "timer flags at %zu",
			     timers[i].off + 4);
	}
	dsl = assert_roundtrip(f.dir, "gtdt", t, f.b.len);
	assert_field(dsl, "Secure EL1 Interrupt", "0000001D");
	assert_field(dsl, "Non-Secure EL1 Interrupt", "0000001E");
	assert_field(dsl, "Virtual Timer Interrupt", "0000001B");
	assert_field(dsl, "Non-Secure EL2 Interrupt", "0000001A");
	free(dsl);
	teardown(&f);
}

/* --- SPCR ------------------------------------------------------------------------ */

Test(acpi_tables, spcr)
{
	struct fixture f;
	const uint8_t *t;
	char *dsl;

	setup(&f, 1, 1);
	cr_assert_eq(acpi_build_spcr(&f.b), 0);
	t = f.b.data;
	assert_header(t, f.b.len, "SPCR", 2);
	cr_assert_eq(f.b.len, 80);
	cr_assert_eq(t[36], 3, "interface type: ARM PL011");
	cr_assert_eq(t[40], 0, "GAS: system memory");
	cr_assert_eq(t[41], 32, "GAS: register width");
	cr_assert_eq(t[43], 3, "GAS: DWord access");
	cr_assert_eq(test_le(t + 44, 8), LAYOUT_UART_BASE);
	cr_assert_eq(t[52], 1u << 3, "interrupt type: ARM GIC");
	cr_assert_eq(test_le(t + 54, 4), LAYOUT_UART_INTID);
	cr_assert_eq(t[58], 7, "115200 baud");
	cr_assert_eq(t[59], 0, "no parity");
	cr_assert_eq(t[60], 1, "1 stop bit");
	cr_assert_eq(t[61], 0, "no flow control");
	cr_assert_eq(test_le(t + 64, 2), 0xFFFF, "not a PCI device");
	cr_assert_eq(test_le(t + 66, 2), 0xFFFF, "not a PCI device");
	dsl = assert_roundtrip(f.dir, "spcr", t, f.b.len);
	assert_field(dsl, "Interface Type", "03");
	assert_field(dsl, "Address", "0000000009000000");
	assert_field(dsl, "Interrupt", "00000021");
	assert_field(dsl, "Baud Rate", "07");
	free(dsl);
	teardown(&f);
}

/* --- XSDT, RSDP ------------------------------------------------------------------- */

Test(acpi_tables, xsdt)
{
	const uint64_t tables[] = { 0x7FFF1000ULL, 0x7FFF2000ULL, 0x4000000000ULL, 0x7FFF4000ULL };
	struct fixture f;
	char *dsl;

	setup(&f, 1, 1);
	cr_assert_eq(acpi_build_xsdt(tables, ARRAY_SIZE(tables), &f.b), 0);
	assert_header(f.b.data, f.b.len, "XSDT", 1);
	cr_assert_eq(f.b.len, 36 + 8 * ARRAY_SIZE(tables));
	for (size_t i = 0; i < ARRAY_SIZE(tables); i++)
		cr_assert_eq(test_le(f.b.data + 36 + 8 * i, 8), tables[i]);
	dsl = assert_roundtrip(f.dir, "xsdt", f.b.data, f.b.len);
	assert_field(dsl, "ACPI Table Address   2", "0000004000000000");
	free(dsl);
	cr_assert_eq(acpi_build_xsdt((uint64_t[]){ 0 }, 1, &f.b), -EINVAL);
	cr_assert_eq(acpi_build_xsdt(NULL, 1, &f.b), -EINVAL);
	cr_assert_eq(acpi_build_xsdt(tables, 65, &f.b), -EINVAL);
	teardown(&f);
}

/*
 * iasl 20200925 cannot disassemble a bare RSDP binary, but its data-table
 * compiler builds one from field values and computes both checksums itself:
 * ours must be identical.
 */
Test(acpi_tables, rsdp_matches_iasl)
{
	static const char asl[] =
		"[0008]                          Signature : \"RSD PTR \"\n"
		"[0001]                           Checksum : 00\n"
		"[0006]                             Oem ID : \"VMM   \"\n"
		"[0001]                           Revision : 02\n"
		"[0004]                       RSDT Address : 00000000\n"
		"[0004]                             Length : 00000024\n"
		"[0008]                       XSDT Address : 000000007FFE1230\n"
		"[0001]                  Extended Checksum : 00\n"
		"[0003]                           Reserved : 000000\n";
	struct fixture f;
	uint8_t *ref;
	size_t ref_len;

	setup(&f, 1, 1);
	cr_assert_eq(acpi_build_rsdp(0x7FFE1230ULL, &f.b), 0);
	cr_assert_eq(f.b.len, 36);
	cr_assert_arr_eq(f.b.data, "RSD PTR ", 8);
	cr_assert_eq(test_sum(f.b.data, 20), 0, "ACPI 1.0 checksum");
	cr_assert_eq(test_sum(f.b.data, 36), 0, "extended checksum");
	cr_assert_eq(f.b.data[15], 2);
	cr_assert_eq(test_le(f.b.data + 24, 8), 0x7FFE1230ULL);

	acpi_test_write(f.dir, "rsdp.asl", asl, strlen(asl));
	ref = iasl_compile(f.dir, "rsdp.asl", NULL, &ref_len, NULL, NULL);
	cr_assert_eq(ref_len, 36);
	cr_assert_arr_eq(f.b.data, ref, 36, "RSDP differs from iasl's");
	free(ref);
	cr_assert_eq(acpi_build_rsdp(0, &f.b), -EINVAL);
	teardown(&f);
}

/* The checker itself: a wrong checksum must be caught, or the clean results above mean nothing. */
Test(acpi_tables, iasl_check_catches_a_bad_checksum)
{
	struct fixture f;

	setup(&f, 2, 1);
	cr_assert_eq(acpi_build_gtdt(&f.b), 0);
	cr_assert_eq(iasl_disassemble_problems(f.dir, "good", f.b.data, f.b.len, false), 0);
	f.b.data[9] ^= 0x01;
	cr_assert_eq(iasl_disassemble_problems(f.dir, "bad", f.b.data, f.b.len, true), 1);
	teardown(&f);
}
