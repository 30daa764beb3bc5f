// SPDX-License-Identifier: MIT
/*
 * The DSDT: iasl must disassemble it without a complaint and recompile that
 * disassembly (optimisations off) to exactly our AML; then the objects the
 * guest relies on are checked in the disassembled text.
 */
#include <criterion/criterion.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acpi/acpi.h"
#include "tests/unit/acpi/acpi_test.h"

/*
 * Drops // and block comments, collapses whitespace runs to one space and
 * removes the space before ')', so that `Name (_HID, "X" <comment>)` reads
 * `Name (_HID, "X")`.
 */
static char *normalize(const char *dsl)
{
	char *out = malloc(strlen(dsl) + 1);
	const char *p = dsl;
	char *o = out;

	cr_assert_not_null(out);
	while (*p) {
		if (p[0] == '/' && p[1] == '/') {
			while (*p && *p != '\n')
				p++;
		} else if (p[0] == '/' && p[1] == '*') {
			const char *end = strstr(p + 2, "*/");

			p = end ? end + 2 : p + strlen(p);
		} else if (isspace((unsigned char)*p)) {
			while (isspace((unsigned char)*p))
				p++;
			if (o != out && o[-1] != ' ' && *p != ')')
				*o++ = ' ';
		} else {
			if (*p == ')' && o != out && o[-1] == ' ')
				o--;
			*o++ = *p++;
		}
	}
	*o = '\0';
	return out;
}

static void assert_has(const char *text, const char *what, const char *where)
{
	cr_assert_not_null(strstr(text, what), "%s: \"%s\" missing", where, what);
}

/* The text of Device(name) up to the next Device() (or the end). */
static char *device_block(const char *text, const char *name)
{
	char head[32];
	const char *start, *end;
	char *block;

	snprintf(head, sizeof(head), "Device (%s)", name);
	start = strstr(text, head);
	cr_assert_not_null(start, "%s missing", head);
	end = strstr(start + strlen(head), "Device (");
	if (!end)
		end = start + strlen(start);
	block = strndup(start, (size_t)(end - start));
	cr_assert_not_null(block);
	return block;
}

/* How iasl prints an integer: Zero, One, or hex as wide as the encoding's prefix. */
static void asl_int(char *out, size_t n, uint32_t v)
{
	if (v == 0)
		snprintf(out, n, "Zero");
	else if (v == 1)
		snprintf(out, n, "One");
	else if (v <= 0xFF)
		snprintf(out, n, "0x%02X", v);
	else if (v <= 0xFFFF)
		snprintf(out, n, "0x%04X", v);
	else
		snprintf(out, n, "0x%08X", v);
}

struct built {
	char dir[PATH_MAX];
	struct test_machine tm;
	struct acpi_buf b;
	char *text; /* normalized disassembly */
};

/* Builds the DSDT, asserts the header, a clean disassembly and an identical recompile. */
static void build_and_verify(struct built *x)
{
	char *dsl, *log;
	uint8_t *bin;
	size_t len;
	int remarks;

	acpi_buf_init(&x->b);
	cr_assert_eq(acpi_build_dsdt(&x->tm.m, &x->b), 0);
	cr_assert_arr_eq(x->b.data, "DSDT", 4);
	cr_assert_eq(test_le(x->b.data + 4, 4), x->b.len);
	cr_assert_eq(x->b.data[8], 2, "revision 2: 64-bit integers");
	cr_assert_eq(test_sum(x->b.data, x->b.len), 0, "checksum");

	dsl = iasl_disassemble(x->dir, "dsdt", x->b.data, x->b.len);
	bin = iasl_compile(x->dir, "dsdt.dsl", "-oa", &len, &remarks, &log);
	/*
	 * The one remark iasl makes: COST(uid, event, status, buffer) keeps the
	 * _OST buffer argument of QEMU's interface but does not use it.
	 */
	cr_assert_leq(remarks, 1, "iasl remarks:\n%s", log);
	if (remarks)
		cr_assert_not_null(strstr(log, "Method Argument is never used (Arg3)"), "%s", log);
	cr_assert_eq(len, x->b.len, "recompiled DSDT is %zu bytes, ours %zu", len, x->b.len);
	for (size_t i = 36; i < len; i++)
		cr_assert_eq(bin[i], x->b.data[i], "AML differs at 0x%zx: ours 0x%02x, iasl 0x%02x", i,
			     x->b.data[i], bin[i]);
	free(bin);
	free(log);
	x->text = normalize(dsl);
	free(dsl);
}

static void built_fini(struct built *x)
{
	free(x->text);
	acpi_buf_fini(&x->b);
	test_machine_fini(&x->tm);
	acpi_test_rmdir(x->dir);
}

static void check_cpu_devices(const struct built *x)
{
	for (uint32_t i = 0; i < x->tm.m.nr_cpus; i++) {
		char name[16], uid[16], want[96];
		char *blk;

		snprintf(name, sizeof(name), "C%03X", i);
		asl_int(uid, sizeof(uid), i);
		blk = device_block(x->text, name);
		assert_has(blk, "Name (_HID, \"ACPI0007\")", name);
		snprintf(want, sizeof(want), "Name (_UID, %s)", uid);
		assert_has(blk, want, name);
		snprintf(want, sizeof(want), "Method (_STA, 0, NotSerialized) { Return (CSTA (%s)) }", uid);
		assert_has(blk, want, name);
		snprintf(want, sizeof(want), "Method (_OST, 3, NotSerialized) { COST (%s, Arg0, Arg1, Arg2) }",
			 uid);
		assert_has(blk, want, name);
		snprintf(want, sizeof(want), "Method (_EJ0, 1, NotSerialized) { CEJ0 (%s) }", uid);
		if (x->tm.cpus[i].cold_booted)
			cr_assert_null(strstr(blk, "_EJ0"), "%s is cold-booted but has _EJ0", name);
		else
			assert_has(blk, want, name);
		cr_assert_null(strstr(blk, "_MAT"), "%s: no _MAT on arm64", name);
		free(blk);

		snprintf(want, sizeof(want), "If ((Arg0 == %s)) { Notify (%s, Arg1) }", uid, name);
		assert_has(x->text, want, "CTFY");
	}
}

Test(acpi_dsdt, two_of_six)
{
	struct built x;
	char *blk;

	acpi_test_mkdtemp(x.dir);
	test_machine_init(&x.tm, 6, 2);
	build_and_verify(&x);
	check_cpu_devices(&x);

	/* The container and its methods. */
	assert_has(x.text, "DefinitionBlock (\"\", \"DSDT\", 2, \"VMM \", \"VMMARM64\", 0x00000001) { Scope (\\_SB) {", "DSDT");
	blk = device_block(x.text, "CPUS");
	assert_has(blk, "Name (_HID, \"ACPI0010\")", "CPUS");
	assert_has(blk, "Name (_CID, EisaId (\"PNP0A05\"))", "CPUS");
	assert_has(blk, "Method (CTFY, 2, NotSerialized)", "CPUS");
	assert_has(blk,
		   "Method (CSTA, 1, Serialized) { Acquire (\\_SB.PRES.CPLK, 0xFFFF) "
		   "\\_SB.PRES.CSEL = Arg0 Local0 = 0x0D If ((\\_SB.PRES.CPEN == One)) { Local0 = 0x0F } "
		   "Release (\\_SB.PRES.CPLK) Return (Local0) }",
		   "CSTA");
	assert_has(blk,
		   "Method (CEJ0, 1, Serialized) { Acquire (\\_SB.PRES.CPLK, 0xFFFF) "
		   "\\_SB.PRES.CSEL = Arg0 \\_SB.PRES.CEJ0 = One Release (\\_SB.PRES.CPLK) }",
		   "CEJ0");
	assert_has(blk,
		   "Method (CSCN, 0, Serialized) { Acquire (\\_SB.PRES.CPLK, 0xFFFF) Local0 = Zero "
		   "While (One) { \\_SB.PRES.CSEL = Local0 \\_SB.PRES.CCMD = Zero "
		   "Local1 = \\_SB.PRES.CDAT If ((Local1 < Local0)) { Break } Local2 = Zero "
		   "If ((\\_SB.PRES.CINS == One)) { CTFY (Local1, One) \\_SB.PRES.CINS = One Local2 = One } "
		   "If ((\\_SB.PRES.CRMV == One)) { CTFY (Local1, 0x03) \\_SB.PRES.CRMV = One Local2 = One } "
		   "If ((Local2 == Zero)) { Break } Local0 = (Local1 + One) If ((Local0 >= 0x06)) { Break } } "
		   "Release (\\_SB.PRES.CPLK) }",
		   "CSCN");
	assert_has(blk,
		   "Method (COST, 4, Serialized) { Acquire (\\_SB.PRES.CPLK, 0xFFFF) "
		   "\\_SB.PRES.CSEL = Arg0 \\_SB.PRES.CCMD = One \\_SB.PRES.CDAT = Arg1 "
		   "\\_SB.PRES.CCMD = 0x02 \\_SB.PRES.CDAT = Arg2 Release (\\_SB.PRES.CPLK) }",
		   "COST");
	free(blk);

	/* The register block. */
	blk = device_block(x.text, "PRES");
	assert_has(blk, "Name (_HID, EisaId (\"PNP0A06\"))", "PRES");
	assert_has(blk, "Name (_UID, \"CPU Hotplug resources\")", "PRES");
	assert_has(blk, "Memory32Fixed (ReadWrite, 0x090C0000, 0x0000000C,)", "PRES");
	assert_has(blk, "Mutex (CPLK, 0x00)", "PRES");
	assert_has(blk, "OperationRegion (PRST, SystemMemory, 0x090C0000, 0x0C)", "PRES");
	assert_has(blk,
		   "Field (PRST, ByteAcc, NoLock, WriteAsZeros) { Offset (0x04), CPEN, 1, CINS, 1, "
		   "CRMV, 1, CEJ0, 1, CEJF, 1, Offset (0x05), CCMD, 8 }",
		   "PRES");
	assert_has(blk,
		   "Field (PRST, DWordAcc, NoLock, Preserve) { CSEL, 32, Offset (0x08), CDAT, 32 }",
		   "PRES");
	free(blk);

	/* GED: edge, active-high GSI 41, the selector register and the dispatch. */
	blk = device_block(x.text, "GED");
	assert_has(blk, "Name (_HID, \"ACPI0013\")", "GED");
	assert_has(blk, "Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive, ,,) { 0x00000029, }",
		   "GED");
	assert_has(blk, "OperationRegion (EREG, SystemMemory, 0x09080000, 0x04)", "GED");
	assert_has(blk, "Field (EREG, DWordAcc, NoLock, WriteAsZeros) { ESEL, 32 }", "GED");
	assert_has(blk,
		   "Method (_EVT, 1, Serialized) { Local0 = ESEL "
		   "If (((Local0 & 0x02) == 0x02)) { Notify (\\_SB.PWRB, 0x80) } "
		   "If (((Local0 & 0x08) == 0x08)) { \\_SB.CPUS.CSCN () } }",
		   "GED");
	free(blk);

	blk = device_block(x.text, "PWRB");
	assert_has(blk, "Name (_HID, EisaId (\"PNP0C0C\"))", "PWRB");
	free(blk);

	blk = device_block(x.text, "COM0");
	assert_has(blk, "Name (_HID, \"ARMH0011\")", "COM0");
	assert_has(blk, "Name (_UID, Zero)", "COM0");
	assert_has(blk, "Memory32Fixed (ReadWrite, 0x09000000, 0x00001000,)", "COM0");
	assert_has(blk, "Interrupt (ResourceConsumer, Level, ActiveHigh, Exclusive, ,,) { 0x00000021, }",
		   "COM0");
	free(blk);

	blk = device_block(x.text, "VR01");
	assert_has(blk, "Name (_HID, \"LNRO0005\")", "VR01");
	assert_has(blk, "Name (_CCA, One)", "VR01");
	assert_has(blk, "Memory32Fixed (ReadWrite, 0x0A000200, 0x00000200,)", "VR01");
	assert_has(blk, "{ 0x00000031, }", "VR01");
	free(blk);
	cr_assert_null(strstr(x.text, "Device (VR02)"));

	assert_has(x.text,
		   "Method (_OSC, 4, NotSerialized) { CreateDWordField (Arg3, Zero, CDW1) "
		   "If ((Arg0 == ToUUID (\"0811b06e-4a27-44f9-8d60-3cbbc22e7b48\"))) "
		   "{ If ((Arg1 != One)) { CDW1 |= 0x08 } } Else { CDW1 |= 0x04 } Return (Arg3) }",
		   "_OSC");
	built_fini(&x);
}

/* Cold-booted vCPUs need not be a prefix: _EJ0 follows each vCPU's own flag. */
Test(acpi_dsdt, scattered_cold_booted)
{
	struct built x;

	acpi_test_mkdtemp(x.dir);
	test_machine_init(&x.tm, 5, 1);
	x.tm.cpus[3].cold_booted = true;
	x.tm.m.nr_virtio_mmio = 0;
	x.tm.m.pmu = false;
	build_and_verify(&x);
	check_cpu_devices(&x);
	cr_assert_null(strstr(x.text, "Device (VR00)"));
	built_fini(&x);
}

Test(acpi_dsdt, largest_machine)
{
	struct built x;

	acpi_test_mkdtemp(x.dir);
	test_machine_init(&x.tm, 512, 4);
	x.tm.m.nr_virtio_mmio = ACPI_MAX_VIRTIO_MMIO;
	build_and_verify(&x);
	check_cpu_devices(&x);
	assert_has(x.text, "If ((Local0 >= 0x0200)) { Break }", "CSCN");
	assert_has(x.text, "Device (VR31)", "DSDT");
	cr_assert_null(strstr(x.text, "Device (C200)"));
	built_fini(&x);
}

Test(acpi_dsdt, deterministic)
{
	struct test_machine tm;
	struct acpi_buf a = ACPI_BUF_INIT, b = ACPI_BUF_INIT;

	test_machine_init(&tm, 6, 2);
	cr_assert_eq(acpi_build_dsdt(&tm.m, &a), 0);
	cr_assert_eq(acpi_build_dsdt(&tm.m, &b), 0);
	cr_assert_eq(a.len, b.len);
	cr_assert_arr_eq(a.data, b.data, a.len);
	acpi_buf_fini(&a);
	acpi_buf_fini(&b);
	test_machine_fini(&tm);
}
