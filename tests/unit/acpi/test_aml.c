// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acpi/aml/aml.h"
#include "tests/unit/acpi/acpi_test.h"

/* Emits and frees `a`; asserts success. The caller frees *out. */
static size_t emit(struct aml *a, uint8_t **out)
{
	struct acpi_buf b = ACPI_BUF_INIT;
	size_t len;
	int ret = aml_emit(a, &b);

	aml_free(a);
	cr_assert_eq(ret, 0, "aml_emit: %d", ret);
	len = b.len;
	*out = b.data;
	return len;
}

static void assert_bytes(struct aml *a, const uint8_t *want, size_t n)
{
	uint8_t *got;
	size_t len = emit(a, &got);

	char hex[3 * 64 + 4] = "";

	for (size_t i = 0; i < len && i < 64; i++)
		snprintf(hex + 3 * i, sizeof(hex) - 3 * i, "%02x ", got[i]);
	cr_assert_eq(len, n, "encoding is %zu bytes, expected %zu: %s", len, n, hex);
	cr_assert_arr_eq(got, want, n, "encoding differs: %s", hex);
	free(got);
}

#define ASSERT_BYTES(a, ...) \
	do { \
		static const uint8_t want_[] = { __VA_ARGS__ }; \
		assert_bytes((a), want_, sizeof(want_)); \
	} while (0)

static int emit_error(struct aml *a)
{
	struct acpi_buf b = ACPI_BUF_INIT;
	int ret = aml_emit(a, &b);

	aml_free(a);
	acpi_buf_fini(&b);
	return ret;
}

/* Decodes a PkgLength; checks that bits 5-4 of a multi-byte lead are zero. */
static size_t decode_pkglen(const uint8_t *p, unsigned int *nbytes)
{
	unsigned int n = (p[0] >> 6) + 1;
	size_t v;

	*nbytes = n;
	if (n == 1)
		return p[0] & 0x3F;
	cr_assert_eq(p[0] & 0x30, 0, "reserved PkgLength bits set: 0x%02x", p[0]);
	v = p[0] & 0x0F;
	for (unsigned int i = 1; i < n; i++)
		v |= (size_t)p[i] << (4 + 8 * (i - 1));
	return v;
}

Test(acpi_aml, pkglen_boundaries)
{
	static const struct {
		size_t body;
		int nbytes;
	} cases[] = {
		{ 0, 1 }, { 62, 1 }, { 63, 2 }, { 64, 2 }, { 4093, 2 }, { 4094, 3 }, { 4095, 3 },
		{ 0xFFFFF - 3, 3 }, { 0xFFFFF - 2, 4 }, { 0xFFFFFFF - 4, 4 },
	};
	uint8_t enc[4];
	unsigned int n;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int got = aml_pkglen_encode(cases[i].body, enc);

		cr_assert_eq(got, cases[i].nbytes, "body %zu: %d PkgLength bytes, expected %d",
			     cases[i].body, got, cases[i].nbytes);
		cr_assert_eq(decode_pkglen(enc, &n), cases[i].body + (size_t)got,
			     "body %zu: PkgLength must count itself", cases[i].body);
	}
	cr_assert_eq(aml_pkglen_encode(0xFFFFFFF - 3, enc), -E2BIG);
	cr_assert_eq(aml_pkglen_encode(SIZE_MAX, enc), -E2BIG);

	/* Exact bytes at the first two-byte length: 63 + 2 = 65 = 0x41. */
	cr_assert_eq(aml_pkglen_encode(63, enc), 2);
	cr_assert_eq(enc[0], 0x41);
	cr_assert_eq(enc[1], 0x04);
	/* 4094 + 3 = 0x1001. */
	cr_assert_eq(aml_pkglen_encode(4094, enc), 3);
	cr_assert_eq(enc[0], 0x81);
	cr_assert_eq(enc[1], 0x00);
	cr_assert_eq(enc[2], 0x01);
}

/* Buffers of sizes around each boundary: the emitted PkgLength matches what follows it. */
Test(acpi_aml, pkglen_in_real_buffers)
{
	static const size_t ranges[][2] = { { 0, 70 }, { 4080, 4100 }, { 0xFFFF0, 0x100010 } };

	for (size_t r = 0; r < ARRAY_SIZE(ranges); r++) {
		for (size_t size = ranges[r][0]; size <= ranges[r][1]; size++) {
			uint8_t *got;
			size_t len = emit(aml_buffer(NULL, size), &got);
			unsigned int n;
			size_t pl;

			cr_assert_eq(got[0], 0x11);
			pl = decode_pkglen(got + 1, &n);
			cr_assert_eq(pl, len - 1, "Buffer(%zu): PkgLength %zu, %zu bytes follow the opcode",
				     size, pl, len - 1);
			cr_assert_eq(n, (unsigned int)aml_pkglen_encode(pl - n, (uint8_t[4]){ 0 }),
				     "Buffer(%zu): PkgLength not in its shortest form", size);
			free(got);
		}
	}
}

/* A 1 MiB Scope body nests correctly: outer and inner lengths agree. */
Test(acpi_aml, pkglen_nested_megabyte)
{
	struct aml *scope = aml_scope("\\_SB");
	struct aml *dev = aml_device("BIG0");
	unsigned int n1, n2;
	uint8_t *got;
	size_t len, outer, inner;

	aml_append(dev, aml_name_decl("BUF0", aml_buffer(NULL, SZ_1M)));
	aml_append(scope, dev);
	len = emit(scope, &got);
	cr_assert_eq(got[0], 0x10);
	outer = decode_pkglen(got + 1, &n1);
	cr_assert_eq(n1, 4);
	cr_assert_eq(outer, len - 1);
	/* Scope: 10 PkgLength 5C 5F 53 42 5F, then 5B 82 PkgLength "BIG0". */
	cr_assert_eq(got[1 + n1], 0x5C);
	cr_assert_eq(got[1 + n1 + 5], 0x5B);
	cr_assert_eq(got[1 + n1 + 6], 0x82);
	inner = decode_pkglen(got + 1 + n1 + 7, &n2);
	cr_assert_eq(n2, 4);
	cr_assert_eq(inner, len - (1 + n1 + 7));
	free(got);
}

Test(acpi_aml, integers_shortest_form)
{
	ASSERT_BYTES(aml_int(0), 0x00);
	ASSERT_BYTES(aml_int(1), 0x01);
	ASSERT_BYTES(aml_int(2), 0x0A, 0x02);
	ASSERT_BYTES(aml_int(0xFF), 0x0A, 0xFF);
	ASSERT_BYTES(aml_int(0x100), 0x0B, 0x00, 0x01);
	ASSERT_BYTES(aml_int(0xFFFF), 0x0B, 0xFF, 0xFF);
	ASSERT_BYTES(aml_int(0x10000), 0x0C, 0x00, 0x00, 0x01, 0x00);
	ASSERT_BYTES(aml_int(0xFFFFFFFF), 0x0C, 0xFF, 0xFF, 0xFF, 0xFF);
	ASSERT_BYTES(aml_int(0x100000000ULL), 0x0E, 0, 0, 0, 0, 1, 0, 0, 0);
	ASSERT_BYTES(aml_int(0xFFFFFFFFFFFFFFFEULL), 0x0E, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
		     0xFF);
	ASSERT_BYTES(aml_int(UINT64_MAX), 0xFF);
	ASSERT_BYTES(aml_zero(), 0x00);
	ASSERT_BYTES(aml_one(), 0x01);
	ASSERT_BYTES(aml_ones(), 0xFF);
}

Test(acpi_aml, integers_fixed_prefix)
{
	ASSERT_BYTES(aml_byte(0), 0x0A, 0x00);
	ASSERT_BYTES(aml_word(1), 0x0B, 0x01, 0x00);
	ASSERT_BYTES(aml_dword(0x12345678), 0x0C, 0x78, 0x56, 0x34, 0x12);
	ASSERT_BYTES(aml_qword(2), 0x0E, 2, 0, 0, 0, 0, 0, 0, 0);
}

Test(acpi_aml, name_strings)
{
	ASSERT_BYTES(aml_name("ABCD"), 'A', 'B', 'C', 'D');
	ASSERT_BYTES(aml_name("GED"), 'G', 'E', 'D', '_');
	ASSERT_BYTES(aml_name("_SB"), '_', 'S', 'B', '_');
	ASSERT_BYTES(aml_name("\\"), 0x5C, 0x00);
	ASSERT_BYTES(aml_name("\\_SB"), 0x5C, '_', 'S', 'B', '_');
	ASSERT_BYTES(aml_name("\\_SB.PCI0"), 0x5C, 0x2E, '_', 'S', 'B', '_', 'P', 'C', 'I', '0');
	ASSERT_BYTES(aml_name("\\_SB.CPUS.CSCN"), 0x5C, 0x2F, 0x03, '_', 'S', 'B', '_', 'C', 'P', 'U',
		     'S', 'C', 'S', 'C', 'N');
	ASSERT_BYTES(aml_name("CPUS.C01"), 0x2E, 'C', 'P', 'U', 'S', 'C', '0', '1', '_');
	ASSERT_BYTES(aml_name("^FOO"), 0x5E, 'F', 'O', 'O', '_');
	ASSERT_BYTES(aml_name("^^A.B"), 0x5E, 0x5E, 0x2E, 'A', '_', '_', '_', 'B', '_', '_', '_');
	ASSERT_BYTES(aml_name("^"), 0x5E, 0x00);
}

Test(acpi_aml, name_strings_rejected)
{
	static const char *const bad[] = {
		"", "abcd", "ABCDE", "1ABC", "A..B", "A.", ".A", "\\^A", "^\\A", "\\\\", "A-B", "A B",
		"\\_SB.", "_SB..CPUS",
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		cr_assert_eq(emit_error(aml_name(bad[i])), -EINVAL, "\"%s\" accepted", bad[i]);
	cr_assert_eq(emit_error(aml_name(NULL)), -EINVAL);
	/* 255 segments is the most a MultiNamePath holds. */
	{
		char path[256 * 5 + 2] = "\\";

		for (int i = 0; i < 256; i++)
			strcat(path, i ? ".ABCD" : "ABCD");
		cr_assert_eq(emit_error(aml_name(path)), -EINVAL);
		path[1 + 255 * 5 - 1] = '\0';
		cr_assert_eq(emit_error(aml_name(path)), 0);
	}
}

Test(acpi_aml, strings_eisaid_uuid)
{
	ASSERT_BYTES(aml_string("abc"), 0x0D, 'a', 'b', 'c', 0x00);
	ASSERT_BYTES(aml_string(""), 0x0D, 0x00);
	cr_assert_eq(emit_error(aml_string("caf\xc3\xa9")), -EINVAL);
	/* PNP0A05 is the classic 0x050AD041. */
	ASSERT_BYTES(aml_eisaid("PNP0A05"), 0x0C, 0x41, 0xD0, 0x0A, 0x05);
	ASSERT_BYTES(aml_eisaid("PNP0C0C"), 0x0C, 0x41, 0xD0, 0x0C, 0x0C);
	cr_assert_eq(emit_error(aml_eisaid("pnp0a05")), -EINVAL);
	cr_assert_eq(emit_error(aml_eisaid("PNP0A0")), -EINVAL);
	cr_assert_eq(emit_error(aml_eisaid("PNP0A0G")), -EINVAL);
	ASSERT_BYTES(aml_touuid("0811B06E-4A27-44F9-8D60-3CBBC22E7B48"), 0x11, 0x13, 0x0A, 0x10, 0x6E,
		     0xB0, 0x11, 0x08, 0x27, 0x4A, 0xF9, 0x44, 0x8D, 0x60, 0x3C, 0xBB, 0xC2, 0x2E, 0x7B,
		     0x48);
	cr_assert_eq(emit_error(aml_touuid("0811B06E-4A27-44F9-8D60-3CBBC22E7B4")), -EINVAL);
	cr_assert_eq(emit_error(aml_touuid("0811B06E-4A27-44F9-8D60+3CBBC22E7B48")), -EINVAL);
	cr_assert_eq(emit_error(aml_touuid("0811B06E-4A27-44F9-8D60-3CBBC22E7B4X")), -EINVAL);
}

Test(acpi_aml, small_objects)
{
	struct aml *pkg = aml_package();
	struct aml *method;

	aml_append(pkg, aml_one());
	aml_append(pkg, aml_string("x"));
	ASSERT_BYTES(aml_name_decl("PKG0", pkg), 0x08, 'P', 'K', 'G', '0', 0x12, 0x06, 0x02, 0x01,
		     0x0D, 'x', 0x00);
	ASSERT_BYTES(aml_buffer("\x01\x02", 2), 0x11, 0x05, 0x0A, 0x02, 0x01, 0x02);
	ASSERT_BYTES(aml_local(7), 0x67);
	ASSERT_BYTES(aml_arg(6), 0x6E);
	ASSERT_BYTES(aml_mutex("CPLK", 0), 0x5B, 0x01, 'C', 'P', 'L', 'K', 0x00);
	ASSERT_BYTES(aml_acquire(aml_name("CPLK"), 0xFFFF), 0x5B, 0x23, 'C', 'P', 'L', 'K', 0xFF, 0xFF);
	ASSERT_BYTES(aml_release(aml_name("CPLK")), 0x5B, 0x27, 'C', 'P', 'L', 'K');
	ASSERT_BYTES(aml_and(aml_local(0), aml_int(8), NULL), 0x7B, 0x60, 0x0A, 0x08, 0x00);
	ASSERT_BYTES(aml_lnotequal(aml_arg(1), aml_one()), 0x92, 0x93, 0x69, 0x01);
	ASSERT_BYTES(aml_call2("CTFY", aml_local(1), aml_int(3)), 'C', 'T', 'F', 'Y', 0x61, 0x0A,
		     0x03);
	method = aml_method("_STA", 0, AML_NOT_SERIALIZED);
	aml_append(method, aml_return(aml_int(0x0F)));
	ASSERT_BYTES(method, 0x14, 0x09, '_', 'S', 'T', 'A', 0x00, 0xA4, 0x0A, 0x0F);
	method = aml_method("CSCN", 7, AML_SERIALIZED);
	ASSERT_BYTES(method, 0x14, 0x06, 'C', 'S', 'C', 'N', 0x0F);
}

Test(acpi_aml, fields_track_offsets)
{
	struct aml *f = aml_field("PRST", AML_BYTE_ACC, AML_NOLOCK, AML_WRITE_AS_ZEROS);

	aml_field_offset(f, 4);
	aml_field_unit(f, "CPEN", 1);
	aml_field_reserved(f, 7);
	aml_field_unit(f, "CCMD", 8);
	aml_field_offset(f, 0x100); /* from bit 48: skip 2000 bits = 0x7D0 */
	aml_field_unit(f, "BIG", 0x1000);
	/* 0x1000 bits no longer fits a 2-byte length (12 bits): 3 bytes. */
	ASSERT_BYTES(f, 0x5B, 0x81, 0x1E, 'P', 'R', 'S', 'T', 0x41, 0x00, 0x20, 'C', 'P', 'E', 'N',
		     0x01, 0x00, 0x07, 'C', 'C', 'M', 'D', 0x08, 0x00, 0x40, 0x7D, 'B', 'I', 'G', '_',
		     0x80, 0x00, 0x01);

	f = aml_field("PRST", AML_DWORD_ACC, AML_LOCK, AML_PRESERVE);
	aml_field_unit(f, "CSEL", 32);
	aml_field_offset(f, 2); /* backwards */
	cr_assert_eq(emit_error(f), -EINVAL);
	f = aml_field("PRST", AML_DWORD_ACC, AML_LOCK, AML_PRESERVE);
	aml_field_unit(f, "C.SE", 32);
	cr_assert_eq(emit_error(f), -EINVAL, "field units are single NameSegs");
	f = aml_field("PRST", AML_DWORD_ACC, AML_LOCK, AML_PRESERVE);
	aml_field_unit(f, "CSEL", 0);
	cr_assert_eq(emit_error(f), -EINVAL);
	f = aml_field("PRST", AML_DWORD_ACC, AML_LOCK, AML_PRESERVE);
	aml_append(f, aml_one());
	cr_assert_eq(emit_error(f), -EINVAL, "fields take elements only through aml_field_*()");
	cr_assert_eq(emit_error(aml_field("PRST", 6, AML_LOCK, AML_PRESERVE)), -EINVAL);
}

Test(acpi_aml, errors_propagate_through_the_tree)
{
	struct aml *scope = aml_scope("\\_SB");
	struct aml *dev = aml_device("DEV0");
	struct aml *method = aml_method("MTH0", 0, AML_NOT_SERIALIZED);

	/* An invalid Local deep inside an expression poisons every ancestor. */
	aml_append(method, aml_store(aml_add(aml_local(8), aml_one(), NULL), aml_local(0)));
	aml_append(dev, method);
	aml_append(scope, dev);
	cr_assert_eq(aml_error(scope), -EINVAL);
	cr_assert_eq(emit_error(scope), -EINVAL);

	cr_assert_eq(emit_error(aml_arg(7)), -EINVAL);
	cr_assert_eq(emit_error(aml_store(NULL, aml_local(0))), -EINVAL);
	cr_assert_eq(emit_error(aml_method("M", 8, AML_SERIALIZED)), -EINVAL);
	cr_assert_eq(emit_error(aml_mutex("MTX", 16)), -EINVAL);

	/* Else must follow an If in the same parent. */
	method = aml_method("MTH1", 0, AML_NOT_SERIALIZED);
	aml_append(method, aml_else());
	cr_assert_eq(emit_error(method), -EINVAL);
	method = aml_method("MTH1", 0, AML_NOT_SERIALIZED);
	aml_append(method, aml_if(aml_one()));
	aml_append(method, aml_else());
	cr_assert_eq(emit_error(method), 0);

	/* Resource descriptors only inside a ResourceTemplate, and only they. */
	dev = aml_device("DEV1");
	aml_append(dev, aml_memory32_fixed(0, 1, AML_READ_WRITE));
	cr_assert_eq(emit_error(dev), -EINVAL);
	method = aml_resource_template();
	aml_append(method, aml_one());
	cr_assert_eq(emit_error(method), -EINVAL);
	cr_assert_eq(emit_error(aml_interrupt(AML_CONSUMER, AML_EDGE, AML_ACTIVE_HIGH, AML_EXCLUSIVE,
					      (uint32_t[]){ 1 }, 0)), -EINVAL);
	/* A container cannot be an operand. */
	cr_assert_eq(emit_error(aml_store(aml_device("DEV2"), aml_local(0))), -EINVAL);
	/* Appending to a leaf is refused. */
	method = aml_int(5);
	aml_append(method, aml_one());
	cr_assert_eq(emit_error(method), -EINVAL);
	/* NULL child. */
	method = aml_block();
	aml_append(method, NULL);
	cr_assert_eq(emit_error(method), -EINVAL);
	/* NULL parents and error parents swallow (and free) the child. */
	aml_append(NULL, aml_one());
	method = aml_arg(9);
	aml_append(method, aml_one());
	cr_assert_eq(emit_error(method), -EINVAL);
}

Test(acpi_aml, package_element_limit)
{
	struct aml *pkg = aml_package();

	for (int i = 0; i < 255; i++)
		aml_append(pkg, aml_int((uint64_t)i));
	cr_assert_eq(aml_error(pkg), 0);
	aml_append(pkg, aml_one());
	cr_assert_eq(emit_error(pkg), -E2BIG);
}

/*
 * The encoder against the reference compiler: an SSDT written in ASL (legacy
 * syntax, so iasl emits exactly the operators written) is compiled with every
 * iasl optimisation off, and must equal what the builder produces for the same
 * objects, byte for byte.
 */
static const char reference_asl[] =
	"DefinitionBlock (\"\", \"SSDT\", 2, \"VMM   \", \"AMLTEST \", 1)\n"
	"{\n"
	"  Scope (\\_SB)\n"
	"  {\n"
	"    Device (TST0)\n"
	"    {\n"
	"      Name (_HID, EisaId (\"PNP0C0C\"))\n"
	"      Name (_UID, \"unit test\")\n"
	"      Name (INT0, 0x1234)\n"
	"      Name (INT1, 0x12345678)\n"
	"      Name (INT2, 0x123456789A)\n"
	"      Name (INT3, Ones)\n"
	"      Name (PKG0, Package () { One, 0x02, \"s\", Package () { Zero } })\n"
	"      Name (BUF0, Buffer () { 0x01, 0x02, 0x03 })\n"
	"      Name (UUID, ToUUID (\"33db4d5b-1ff7-401c-9657-7441c03dd766\"))\n"
	"      Name (_CRS, ResourceTemplate ()\n"
	"      {\n"
	"        Memory32Fixed (ReadWrite, 0x09000000, 0x00001000)\n"
	"        Memory32Fixed (ReadOnly, 0x00001000, 0x00000010)\n"
	"        Interrupt (ResourceConsumer, Level, ActiveHigh, Exclusive) { 33 }\n"
	"        Interrupt (ResourceProducer, Edge, ActiveLow, Shared) { 40, 41 }\n"
	"        IO (Decode16, 0x0060, 0x0064, 0x01, 0x04)\n"
	"        QWordMemory (ResourceConsumer, PosDecode, MinFixed, MaxFixed, Cacheable, ReadWrite,\n"
	"                     0x0, 0x4000000000, 0x4000FFFFFF, 0x0, 0x1000000)\n"
	"      })\n"
	"      Mutex (MTX0, 0)\n"
	"      Mutex (MTX1, 15)\n"
	"      OperationRegion (OPR0, SystemMemory, 0x090C0000, 0x1000)\n"
	"      Field (OPR0, ByteAcc, NoLock, WriteAsZeros)\n"
	"      {\n"
	"        Offset (0x04), FLA0, 1, FLA1, 1, , 6, FLA2, 8,\n"
	"        Offset (0x100), FLA3, 32\n"
	"      }\n"
	"      Field (OPR0, DWordAcc, Lock, Preserve) { FLD0, 32, FLD1, 64 }\n"
	"      OperationRegion (OPR1, SystemIO, 0x60, 0x10)\n"
	"      Field (OPR1, AnyAcc, NoLock, WriteAsOnes) { IOF0, 8 }\n"
	"      Method (MTH1, 2, NotSerialized)\n"
	"      {\n"
	"        Return (Add (Arg0, Arg1))\n"
	"      }\n"
	"      Method (MTH0, 4, Serialized)\n"
	"      {\n"
	"        Acquire (MTX0, 0xFFFF)\n"
	"        Store (Arg0, Local0)\n"
	"        If (LEqual (Local0, Arg1)) { Store (One, Local1) }\n"
	"        Else { Store (0x02, Local1) }\n"
	"        While (LLess (Local1, 0x10))\n"
	"        {\n"
	"          Increment (Local1)\n"
	"          If (LGreater (Local1, 0x08)) { Break }\n"
	"          If (LNotEqual (Local1, 0x04)) { Continue }\n"
	"          Decrement (Local1)\n"
	"        }\n"
	"        If (LAnd (LLessEqual (Local0, 0x05), LOr (LGreaterEqual (Local1, One), LNot (Arg2))))\n"
	"        {\n"
	"          Notify (\\_SB.TST0, 0x80)\n"
	"        }\n"
	"        And (Local0, 0x0F, Local2)\n"
	"        Store (Or (Local0, 0xF0), Local3)\n"
	"        Xor (Local0, Local1, Local3)\n"
	"        ShiftLeft (Local0, 0x02, Local4)\n"
	"        Store (ShiftRight (Local4, One), Local5)\n"
	"        Subtract (Local5, Local3, Local5)\n"
	"        Multiply (Local5, Local2, Local6)\n"
	"        CreateDWordField (Arg3, Zero, CDW1)\n"
	"        CreateWordField (Arg3, 0x04, CDW2)\n"
	"        CreateByteField (Arg3, 0x06, CDW3)\n"
	"        CreateQWordField (Arg3, 0x08, CDW4)\n"
	"        Store (SizeOf (Arg3), CDW1)\n"
	"        Store (DerefOf (Index (PKG0, One)), Local7)\n"
	"        Index (PKG0, 0x02, Local7)\n"
	"        Store (MTH1 (Local0, 0x05), FLA2)\n"
	"        Store (\\_SB.TST0.MTH1 (FLD0, Local6), FLD1)\n"
	"        Store (Add (Local6, 0x1000), FLA3)\n"
	"        Store (CDW2, IOF0)\n"
	"        Store (CDW3, FLA0)\n"
	"        Store (CDW4, FLA1)\n"
	"        Release (MTX0)\n"
	"        Return (Local7)\n"
	"      }\n"
	"    }\n"
	"  }\n"
	"}\n";

static struct aml *reference_tree(void)
{
	static const uint32_t irq33 = 33, irq40_41[] = { 40, 41 };
	struct aml *sb = aml_scope("\\_SB");
	struct aml *dev = aml_device("TST0");
	struct aml *pkg = aml_package(), *inner = aml_package();
	struct aml *crs = aml_resource_template();
	struct aml *field, *m, *cond, *loop, *els;

	aml_append(dev, aml_name_decl("_HID", aml_eisaid("PNP0C0C")));
	aml_append(dev, aml_name_decl("_UID", aml_string("unit test")));
	aml_append(dev, aml_name_decl("INT0", aml_int(0x1234)));
	aml_append(dev, aml_name_decl("INT1", aml_int(0x12345678)));
	aml_append(dev, aml_name_decl("INT2", aml_int(0x123456789AULL)));
	aml_append(dev, aml_name_decl("INT3", aml_ones()));
	aml_append(pkg, aml_one());
	aml_append(pkg, aml_int(2));
	aml_append(pkg, aml_string("s"));
	aml_append(inner, aml_zero());
	aml_append(pkg, inner);
	aml_append(dev, aml_name_decl("PKG0", pkg));
	aml_append(dev, aml_name_decl("BUF0", aml_buffer("\x01\x02\x03", 3)));
	aml_append(dev, aml_name_decl("UUID", aml_touuid("33db4d5b-1ff7-401c-9657-7441c03dd766")));
	aml_append(crs, aml_memory32_fixed(0x09000000, 0x1000, AML_READ_WRITE));
	aml_append(crs, aml_memory32_fixed(0x1000, 0x10, AML_READ_ONLY));
	aml_append(crs, aml_interrupt(AML_CONSUMER, AML_LEVEL, AML_ACTIVE_HIGH, AML_EXCLUSIVE, &irq33, 1));
	aml_append(crs, aml_interrupt(AML_PRODUCER, AML_EDGE, AML_ACTIVE_LOW, AML_SHARED, irq40_41, 2));
	aml_append(crs, aml_io(0x60, 0x64, 1, 4));
	aml_append(crs, aml_qword_memory(AML_CONSUMER, AML_CACHEABLE, AML_READ_WRITE, 0x4000000000ULL,
					 0x1000000));
	aml_append(dev, aml_name_decl("_CRS", crs));
	aml_append(dev, aml_mutex("MTX0", 0));
	aml_append(dev, aml_mutex("MTX1", 15));
	aml_append(dev, aml_operation_region("OPR0", AML_SYSTEM_MEMORY, aml_int(0x090C0000),
					     aml_int(0x1000)));
	field = aml_field("OPR0", AML_BYTE_ACC, AML_NOLOCK, AML_WRITE_AS_ZEROS);
	aml_field_offset(field, 4);
	aml_field_unit(field, "FLA0", 1);
	aml_field_unit(field, "FLA1", 1);
	aml_field_reserved(field, 6);
	aml_field_unit(field, "FLA2", 8);
	aml_field_offset(field, 0x100);
	aml_field_unit(field, "FLA3", 32);
	aml_append(dev, field);
	field = aml_field("OPR0", AML_DWORD_ACC, AML_LOCK, AML_PRESERVE);
	aml_field_unit(field, "FLD0", 32);
	aml_field_unit(field, "FLD1", 64);
	aml_append(dev, field);
	aml_append(dev, aml_operation_region("OPR1", AML_SYSTEM_IO, aml_int(0x60), aml_int(0x10)));
	field = aml_field("OPR1", AML_ANY_ACC, AML_NOLOCK, AML_WRITE_AS_ONES);
	aml_field_unit(field, "IOF0", 8);
	aml_append(dev, field);

	m = aml_method("MTH1", 2, AML_NOT_SERIALIZED);
	aml_append(m, aml_return(aml_add(aml_arg(0), aml_arg(1), NULL)));
	aml_append(dev, m);

	m = aml_method("MTH0", 4, AML_SERIALIZED);
	aml_append(m, aml_acquire(aml_name("MTX0"), 0xFFFF));
	aml_append(m, aml_store(aml_arg(0), aml_local(0)));
	cond = aml_if(aml_lequal(aml_local(0), aml_arg(1)));
	aml_append(cond, aml_store(aml_one(), aml_local(1)));
	aml_append(m, cond);
	els = aml_else();
	aml_append(els, aml_store(aml_int(2), aml_local(1)));
	aml_append(m, els);
	loop = aml_while(aml_lless(aml_local(1), aml_int(0x10)));
	aml_append(loop, aml_increment(aml_local(1)));
	cond = aml_if(aml_lgreater(aml_local(1), aml_int(8)));
	aml_append(cond, aml_break());
	aml_append(loop, cond);
	cond = aml_if(aml_lnotequal(aml_local(1), aml_int(4)));
	aml_append(cond, aml_continue());
	aml_append(loop, cond);
	aml_append(loop, aml_decrement(aml_local(1)));
	aml_append(m, loop);
	cond = aml_if(aml_land(aml_llessequal(aml_local(0), aml_int(5)),
			       aml_lor(aml_lgreaterequal(aml_local(1), aml_one()), aml_lnot(aml_arg(2)))));
	aml_append(cond, aml_notify(aml_name("\\_SB.TST0"), aml_int(0x80)));
	aml_append(m, cond);
	aml_append(m, aml_and(aml_local(0), aml_int(0x0F), aml_local(2)));
	aml_append(m, aml_store(aml_or(aml_local(0), aml_int(0xF0), NULL), aml_local(3)));
	aml_append(m, aml_xor(aml_local(0), aml_local(1), aml_local(3)));
	aml_append(m, aml_shiftleft(aml_local(0), aml_int(2), aml_local(4)));
	aml_append(m, aml_store(aml_shiftright(aml_local(4), aml_one(), NULL), aml_local(5)));
	aml_append(m, aml_subtract(aml_local(5), aml_local(3), aml_local(5)));
	aml_append(m, aml_multiply(aml_local(5), aml_local(2), aml_local(6)));
	aml_append(m, aml_create_dword_field(aml_arg(3), aml_zero(), "CDW1"));
	aml_append(m, aml_create_word_field(aml_arg(3), aml_int(4), "CDW2"));
	aml_append(m, aml_create_byte_field(aml_arg(3), aml_int(6), "CDW3"));
	aml_append(m, aml_create_qword_field(aml_arg(3), aml_int(8), "CDW4"));
	aml_append(m, aml_store(aml_sizeof(aml_arg(3)), aml_name("CDW1")));
	aml_append(m, aml_store(aml_derefof(aml_index(aml_name("PKG0"), aml_one(), NULL)),
				aml_local(7)));
	aml_append(m, aml_index(aml_name("PKG0"), aml_int(2), aml_local(7)));
	aml_append(m, aml_store(aml_call2("MTH1", aml_local(0), aml_int(5)), aml_name("FLA2")));
	aml_append(m, aml_store(aml_call2("\\_SB.TST0.MTH1", aml_name("FLD0"), aml_local(6)),
				aml_name("FLD1")));
	aml_append(m, aml_store(aml_add(aml_local(6), aml_int(0x1000), NULL), aml_name("FLA3")));
	aml_append(m, aml_store(aml_name("CDW2"), aml_name("IOF0")));
	aml_append(m, aml_store(aml_name("CDW3"), aml_name("FLA0")));
	aml_append(m, aml_store(aml_name("CDW4"), aml_name("FLA1")));
	aml_append(m, aml_release(aml_name("MTX0")));
	aml_append(m, aml_return(aml_local(7)));
	aml_append(dev, m);
	aml_append(sb, dev);
	return sb;
}

Test(acpi_aml, matches_iasl_byte_for_byte)
{
	char dir[PATH_MAX];
	uint8_t *ref, *ours;
	size_t ref_len, ours_len;

	acpi_test_mkdtemp(dir);
	acpi_test_write(dir, "ref.asl", reference_asl, strlen(reference_asl));
	ref = iasl_compile(dir, "ref.asl", "-oa", &ref_len, NULL, NULL);
	cr_assert_gt(ref_len, 36);
	ours_len = emit(reference_tree(), &ours);
	cr_assert_eq(ours_len, ref_len - 36, "builder: %zu AML bytes, iasl: %zu", ours_len,
		     ref_len - 36);
	for (size_t i = 0; i < ours_len; i++)
		cr_assert_eq(ours[i], ref[36 + i], "AML byte %zu (table offset 0x%zx): ours 0x%02x, iasl 0x%02x",
			     i, i + 36, ours[i], ref[36 + i]);
	free(ours);
	free(ref);
	acpi_test_rmdir(dir);
}
