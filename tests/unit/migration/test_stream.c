// SPDX-License-Identifier: MIT
/*
 * The framed stream: header checks (magic, format version, arch, flags), framing
 * and limits, the CRC, truncation at every byte and every single-bit flip of a
 * valid stream (each must fail cleanly), and section decoding errors that name
 * the section, instance and versions.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "migration/format/crc32c.h"
#include "migration/format/registry.h"
#include "migration/format/stream.h"
#include "tests/unit/migration/mig_test.h"

TestSuite(migration_stream, .timeout = 30);

static struct mig_err err;

#define expect_err(ret, want_ret, substr) \
	do { \
		cr_expect_eq((ret), (want_ret), "ret %d, expected %d (%s)", (ret), (want_ret), err.msg); \
		cr_expect(strstr(err.msg, (substr)) != NULL, "message '%s' lacks '%s'", err.msg, (substr)); \
	} while (0)

/* A stream of three sample sections (instances 0..2, the last with subsections). */
static struct sample_state st[3];
static uint8_t *stream;
static size_t stream_len;

static void build(void)
{
	struct mig_writer w;

	cr_assert_eq(mig_writer_init(&w, MIG_ARCH_AARCH64, 0), 0);
	for (unsigned i = 0; i < 3; i++) {
		sample_fill(&st[i], i);
		if (i == 2) {
			st[i].extra = 42;
			st[i].strict = true;
			st[i].strict_level = 5;
		}
		cr_assert_eq(mig_writer_add(&w, &sample_vmstate, i, &st[i], 0, &err), 0, "%s", err.msg);
	}
	cr_assert_eq(mig_writer_finish(&w, &err), 0);
	stream = malloc(w.len);
	memcpy(stream, w.buf, w.len);
	stream_len = w.len;
	mig_writer_fini(&w);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Recomputes the CRC after a deliberate change (the trailer's last 4 bytes). */
static void fix_crc(uint8_t *buf, size_t len)
{
	put32(buf + len - 4, mig_crc32c(0, buf, len - 4));
}

static int open_buf(const uint8_t *buf, size_t len)
{
	struct mig_reader r;

	memset(&err, 0, sizeof(err));
	return mig_reader_open(&r, buf, len, MIG_ARCH_AARCH64, 0, &err);
}

/* A registry of the three sample instances, loading into out[]. */
static struct sample_state out[3];

static int load_all(const uint8_t *buf, size_t len)
{
	struct mig_registry reg;
	int ret;

	mig_registry_init(&reg);
	for (unsigned i = 0; i < 3; i++)
		cr_assert_eq(mig_registry_add(&reg, &sample_vmstate, i, &out[i], MIG_PRI_DEVICE, 0, &err), 0);
	memset(&err, 0, sizeof(err));
	ret = mig_registry_load(&reg, buf, len, MIG_ARCH_AARCH64, 0, &err);
	mig_registry_fini(&reg);
	return ret;
}

static void setup(void)
{
	build();
	memset(out, 0, sizeof(out));
}

static void teardown(void)
{
	free(stream);
}

Test(migration_stream, crc32c_check_value)
{
	cr_expect_eq(mig_crc32c(0, "123456789", 9), 0xE3069283u);
	cr_expect_eq(mig_crc32c(mig_crc32c(0, "1234", 4), "56789", 5), 0xE3069283u);
	cr_expect_eq(mig_crc32c(0, "", 0), 0);
}

Test(migration_stream, round_trip, .init = setup, .fini = teardown)
{
	struct mig_reader r;
	struct mig_section sec;
	unsigned n = 0;
	int ret;

	cr_assert_eq(mig_reader_open(&r, stream, stream_len, MIG_ARCH_AARCH64, 0, &err), 0, "%s", err.msg);
	cr_expect(r.crc_ok);
	cr_expect_eq(r.hdr.major, MIG_FORMAT_MAJOR);
	cr_expect_eq(r.hdr.minor, MIG_FORMAT_MINOR);
	cr_expect_eq(r.hdr.arch, MIG_ARCH_AARCH64);
	cr_expect_eq(r.nr_sections, 3);
	cr_expect_eq(memcmp(stream, "VMMSTATE", 8), 0);
	while ((ret = mig_reader_next(&r, &sec, &err)) > 0) {
		struct sample_state s;

		cr_expect_str_eq(sec.name, "sample");
		cr_expect_eq(sec.instance, n);
		cr_expect_eq(sec.version, 2);
		memset(&s, 0, sizeof(s));
		cr_assert_eq(mig_section_load(&sec, &sample_vmstate, &s, &err), 0, "%s", err.msg);
		cr_expect(sample_equal(&s, &st[n]), "instance %u differs", n);
		n++;
	}
	cr_expect_eq(ret, 0);
	cr_expect_eq(n, 3);
	/* Through a registry too. */
	cr_assert_eq(load_all(stream, stream_len), 0, "%s", err.msg);
	for (unsigned i = 0; i < 3; i++)
		cr_expect(sample_equal(&out[i], &st[i]));
	cr_expect_eq(out[2].extra, 42);
}

Test(migration_stream, empty_stream)
{
	struct mig_writer w;
	struct mig_reader r;
	struct mig_section sec;

	cr_assert_eq(mig_writer_init(&w, MIG_ARCH_AARCH64, MIG_F_LIVE), 0);
	cr_assert_eq(mig_writer_finish(&w, &err), 0);
	cr_expect_eq(w.len, MIG_HDR_LEN + MIG_END_LEN);
	cr_assert_eq(mig_reader_open(&r, w.buf, w.len, MIG_ARCH_AARCH64, 0, &err), 0, "%s", err.msg);
	cr_expect_eq(r.hdr.flags, MIG_F_LIVE);
	cr_expect_eq(mig_reader_next(&r, &sec, &err), 0);
	cr_expect_eq(mig_writer_add(&w, &sample_vmstate, 0, &st[0], 0, &err), -EINVAL, "add after finish");
	mig_writer_fini(&w);
}

/* Every proper prefix of a valid stream fails, cleanly (run under ASan too). */
Test(migration_stream, truncation_at_every_byte, .init = setup, .fini = teardown)
{
	for (size_t len = 0; len < stream_len; len++) {
		uint8_t *copy = malloc(len ? len : 1); /* exact size: ASan sees any overread */

		memcpy(copy, stream, len);
		cr_expect_neq(open_buf(copy, len), 0, "prefix of %zu bytes opened", len);
		cr_expect_neq(load_all(copy, len), 0, "prefix of %zu bytes loaded", len);
		cr_expect(err.msg[0] != '\0', "no message for a prefix of %zu bytes", len);
		free(copy);
	}
	expect_err(open_buf(stream, stream_len - 1), -EBADMSG, "truncated at byte");
	expect_err(open_buf(stream, 10), -EBADMSG, "truncated at byte 10");
}

/* Every single-bit flip is caught (by the CRC, or earlier by the framing). */
Test(migration_stream, every_bit_flip_caught, .init = setup, .fini = teardown)
{
	uint8_t *copy = malloc(stream_len);

	for (size_t i = 0; i < stream_len * 8; i++) {
		memcpy(copy, stream, stream_len);
		copy[i / 8] ^= (uint8_t)(1u << (i % 8));
		cr_expect_neq(load_all(copy, stream_len), 0, "flip of bit %zu not caught", i);
	}
	/* A flip in a body is reported as a CRC mismatch. */
	memcpy(copy, stream, stream_len);
	copy[stream_len / 2] ^= 0x10;
	expect_err(open_buf(copy, stream_len), -EBADMSG, "CRC mismatch");
	free(copy);
}

Test(migration_stream, ignore_crc_for_inspection, .init = setup, .fini = teardown)
{
	struct mig_reader r;

	stream[stream_len - 1] ^= 1;
	cr_assert_eq(mig_reader_open(&r, stream, stream_len, 0, MIG_READ_IGNORE_CRC | MIG_READ_ANY_ARCH, &err), 0,
		     "%s", err.msg);
	cr_expect(!r.crc_ok);
	cr_expect_neq(r.crc_stored, r.crc_computed);
}

Test(migration_stream, bad_magic, .init = setup, .fini = teardown)
{
	stream[0] = 'X';
	fix_crc(stream, stream_len);
	expect_err(open_buf(stream, stream_len), -EBADMSG, "bad magic");
}

Test(migration_stream, wrong_arch, .init = setup, .fini = teardown)
{
	struct mig_reader r;

	expect_err(mig_reader_open(&r, stream, stream_len, MIG_ARCH_X86_64, 0, &err), -EXDEV,
		   "stream is for arch 183 (aarch64), this VM is 62 (x86_64)");
	cr_expect_eq(mig_reader_open(&r, stream, stream_len, MIG_ARCH_X86_64, MIG_READ_ANY_ARCH, &err), 0);
}

Test(migration_stream, newer_major_rejected, .init = setup, .fini = teardown)
{
	stream[8] = 2;
	fix_crc(stream, stream_len);
	expect_err(open_buf(stream, stream_len), -EPROTONOSUPPORT, "format 2.0 is newer than this vmm (1.x)");
	stream[8] = 0;
	fix_crc(stream, stream_len);
	expect_err(open_buf(stream, stream_len), -EPROTONOSUPPORT, "format 0.0 is older");
}

/* Same major, minor ≤ ours: a newer minor may use framing we do not know. */
Test(migration_stream, newer_minor_rejected_same_minor_ok, .init = setup, .fini = teardown)
{
	cr_expect_eq(open_buf(stream, stream_len), 0, "%s", err.msg);
	stream[10] = MIG_FORMAT_MINOR + 1;
	fix_crc(stream, stream_len);
	expect_err(open_buf(stream, stream_len), -EPROTONOSUPPORT, "format 1.1 is newer than this vmm (1.0)");
}

/* A longer header (fields a later minor may append) is skipped by its length. */
Test(migration_stream, longer_header_skipped, .init = setup, .fini = teardown)
{
	size_t len = stream_len + 8;
	uint8_t *b = calloc(1, len);

	memcpy(b, stream, MIG_HDR_LEN);
	memcpy(b + MIG_HDR_LEN + 8, stream + MIG_HDR_LEN, stream_len - MIG_HDR_LEN);
	put32(b + 20, MIG_HDR_LEN + 8);
	fix_crc(b, len);
	cr_expect_eq(load_all(b, len), 0, "%s", err.msg);
	put32(b + 20, MIG_MAX_HDR_LEN + 1);
	fix_crc(b, len);
	expect_err(open_buf(b, len), -EBADMSG, "bad header length");
	free(b);
}

Test(migration_stream, header_flags, .init = setup, .fini = teardown)
{
	put32(stream + 16, 0x00000100); /* unknown, ignorable */
	fix_crc(stream, stream_len);
	cr_expect_eq(open_buf(stream, stream_len), 0, "%s", err.msg);
	put32(stream + 16, 0x00010000); /* unknown, must understand */
	fix_crc(stream, stream_len);
	expect_err(open_buf(stream, stream_len), -EPROTONOSUPPORT, "unknown required flags 0x00010000");
}

Test(migration_stream, framing_errors, .init = setup, .fini = teardown)
{
	uint8_t *b = malloc(stream_len + 1);

	/* Garbage after the end record. */
	memcpy(b, stream, stream_len);
	b[stream_len] = 0;
	expect_err(open_buf(b, stream_len + 1), -EBADMSG, "after the end record");
	/* A wrong section count in the end record. */
	memcpy(b, stream, stream_len);
	put32(b + stream_len - 8, 2);
	fix_crc(b, stream_len);
	expect_err(open_buf(b, stream_len), -EBADMSG, "counts 2 sections, the stream has 3");
	/* A bad record type. */
	memcpy(b, stream, stream_len);
	b[MIG_HDR_LEN] = 'Q';
	fix_crc(b, stream_len);
	expect_err(open_buf(b, stream_len), -EBADMSG, "bad record type 0x51 at byte 24");
	/* A section name with a bad character. */
	memcpy(b, stream, stream_len);
	b[MIG_HDR_LEN + 3] = ' ';
	fix_crc(b, stream_len);
	expect_err(open_buf(b, stream_len), -EBADMSG, "bad section name");
	/* A body length over the limit. */
	memcpy(b, stream, stream_len);
	put32(b + MIG_HDR_LEN + 3 + 6 + 8, MIG_MAX_SECTION_LEN + 1);
	fix_crc(b, stream_len);
	expect_err(open_buf(b, stream_len), -E2BIG, "is over the limit");
	/* A body length past the end. */
	memcpy(b, stream, stream_len);
	put32(b + MIG_HDR_LEN + 3 + 6 + 8, (uint32_t)stream_len);
	fix_crc(b, stream_len);
	expect_err(open_buf(b, stream_len), -EBADMSG, "truncated at byte");
	free(b);
}

Test(migration_stream, stream_size_limit)
{
	size_t len = (size_t)MIG_MAX_STREAM_LEN + 1;
	uint8_t *b = calloc(1, len);

	cr_assert_not_null(b);
	memcpy(b, MIG_MAGIC, MIG_MAGIC_LEN);
	expect_err(open_buf(b, len), -E2BIG, "is over the limit");
	free(b);
}

Test(migration_stream, section_count_limit)
{
	/* Hand-made: header, MIG_MAX_SECTIONS + 1 empty-bodied sections, end, CRC. */
	const size_t rec = 3 + 1 + 12;
	size_t n = MIG_MAX_SECTIONS + 1, len = MIG_HDR_LEN + n * rec + MIG_END_LEN;
	uint8_t *b = calloc(1, len), *p;
	struct mig_writer w;

	cr_assert_eq(mig_writer_init(&w, MIG_ARCH_AARCH64, 0), 0);
	memcpy(b, w.buf, MIG_HDR_LEN);
	for (size_t i = 0; i < n; i++) {
		p = b + MIG_HDR_LEN + i * rec;
		p[0] = MIG_REC_SECTION;
		p[2] = 1;
		p[3] = 'x';
		put32(p + 4, (uint32_t)i);
	}
	p = b + len - MIG_END_LEN;
	p[0] = MIG_REC_END;
	put32(p + 1, (uint32_t)n);
	fix_crc(b, len);
	expect_err(open_buf(b, len), -E2BIG, "more than 4096 sections");
	free(b);

	/* The writer refuses to go there. */
	for (size_t i = 0; i < MIG_MAX_SECTIONS; i++)
		cr_assert_eq(mig_writer_add_raw(&w, "x", (uint32_t)i, 1, 0, "\x80", 1, &err), 0);
	expect_err(mig_writer_add_raw(&w, "x", 0, 1, 0, "\x80", 1, &err), -E2BIG, "more than 4096 sections");
	mig_writer_fini(&w);
}

Test(migration_stream, writer_section_size_limit)
{
	struct mig_writer w;
	uint8_t *big = calloc(1, MIG_MAX_SECTION_LEN + 1);
	size_t len;

	cr_assert_eq(mig_writer_init(&w, MIG_ARCH_AARCH64, 0), 0);
	len = w.len;
	expect_err(mig_writer_add_raw(&w, "big", 0, 1, 0, big, MIG_MAX_SECTION_LEN + 1, &err), -E2BIG,
		   "over the limit");
	cr_expect_eq(w.len, len, "a failed add leaves the stream as it was");
	cr_expect_eq(mig_writer_add_raw(&w, "", 0, 1, 0, big, 1, &err), -EINVAL);
	mig_writer_fini(&w);
	free(big);
}

Test(migration_stream, section_version_outside_window, .init = setup, .fini = teardown)
{
	struct mig_writer w;
	struct mig_reader r;
	struct mig_section sec;
	uint8_t *body;
	size_t len;

	cr_assert_eq(mig_test_encode(&sample_vmstate, &st[0], &body, &len), 0);
	cr_assert_eq(mig_writer_init(&w, MIG_ARCH_AARCH64, 0), 0);
	cr_assert_eq(mig_writer_add_raw(&w, "sample", 3, 7, 0, body, len, &err), 0);
	cr_assert_eq(mig_writer_finish(&w, &err), 0);
	cr_assert_eq(mig_reader_open(&r, w.buf, w.len, MIG_ARCH_AARCH64, 0, &err), 0);
	cr_assert_eq(mig_reader_next(&r, &sec, &err), 1);
	expect_err(mig_section_load(&sec, &sample_vmstate, &out[0], &err), -EPROTO,
		   "section 'sample' instance 3: version 7 outside [1, 2]");
	expect_err(mig_section_load(&sec, &sample_extra_vmstate, &out[0], &err), -EINVAL,
		   "section 'sample' instance 3 is not a 'sample/extra'");
	mig_writer_fini(&w);
	free(body);
}

Test(migration_stream, body_errors_name_section_and_field, .init = setup, .fini = teardown)
{
	static const char *const skip[] = { "u32", NULL };
	struct mig_writer w;
	struct mp_out o;

	mp_out_init(&o);
	mp_sample_fields(&o, &st[0], skip, 1);
	mp_key(&o, "u32");
	msgpack_pack_int64(&o.pk, -7);
	cr_assert_eq(mig_writer_init(&w, MIG_ARCH_AARCH64, 0), 0);
	cr_assert_eq(mig_writer_add(&w, &sample_vmstate, 0, &st[0], 0, &err), 0);
	cr_assert_eq(mig_writer_add(&w, &sample_vmstate, 1, &st[1], 0, &err), 0);
	cr_assert_eq(mig_writer_add_raw(&w, "sample", 2, 2, 0, o.sb.data, o.sb.size, &err), 0);
	cr_assert_eq(mig_writer_finish(&w, &err), 0);
	memset(out, 0, sizeof(out));
	expect_err(load_all(w.buf, w.len), -ERANGE,
		   "section 'sample' instance 2: field 'u32': value -7 out of range");
	/* All or nothing: instances 0 and 1 were decoded but not committed. */
	cr_expect_eq(out[0].u64, 0);
	cr_expect_eq(out[1].u64, 0);
	mig_writer_fini(&w);
	mp_out_fini(&o);
}
