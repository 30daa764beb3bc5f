// SPDX-License-Identifier: MIT
/* Writing and reading the framed, checksummed state stream (see stream.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "migration/format/crc32c.h"
#include "migration/format/stream.h"

const char *mig_arch_name(uint32_t arch)
{
	switch (arch) {
	case MIG_ARCH_AARCH64:
		return "aarch64";
	case MIG_ARCH_X86_64:
		return "x86_64";
	default:
		return "unknown";
	}
}

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_le(const uint8_t *p, unsigned n)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

/* --- Writer ---------------------------------------------------------------- */

static int wbuf_reserve(struct mig_writer *w, size_t n)
{
	size_t cap;
	uint8_t *p;

	if (n > MIG_MAX_STREAM_LEN - w->len) {
		w->overflow = true;
		return -E2BIG;
	}
	if (w->len + n <= w->cap)
		return 0;
	cap = w->cap ? w->cap : 4096;
	while (cap < w->len + n)
		cap *= 2;
	p = realloc(w->buf, cap);
	if (!p)
		return -ENOMEM;
	w->buf = p;
	w->cap = cap;
	return 0;
}

static int wbuf_put(struct mig_writer *w, const void *data, size_t n)
{
	int ret = wbuf_reserve(w, n);

	if (ret)
		return ret;
	memcpy(w->buf + w->len, data, n);
	w->len += n;
	return 0;
}

static int wbuf_put_le(struct mig_writer *w, uint64_t v, unsigned n)
{
	uint8_t b[8];

	put_le(b, v, n);
	return wbuf_put(w, b, n);
}

/* msgpack-c write callback. */
static int pk_write(void *data, const char *buf, size_t len)
{
	return wbuf_put(data, buf, len) ? -1 : 0;
}

int mig_writer_init(struct mig_writer *w, uint32_t arch, uint32_t flags)
{
	uint8_t h[MIG_HDR_LEN];

	*w = (struct mig_writer){ 0 };
	memcpy(h, MIG_MAGIC, MIG_MAGIC_LEN);
	put_le(h + 8, MIG_FORMAT_MAJOR, 2);
	put_le(h + 10, MIG_FORMAT_MINOR, 2);
	put_le(h + 12, arch, 4);
	put_le(h + 16, flags, 4);
	put_le(h + 20, MIG_HDR_LEN, 4);
	msgpack_packer_init(&w->pk, w, pk_write);
	return wbuf_put(w, h, sizeof(h));
}

void mig_writer_fini(struct mig_writer *w)
{
	if (!w)
		return;
	free(w->buf);
	*w = (struct mig_writer){ 0 };
}

/* Writes a section header with a zero body length; returns where the length goes. */
static int begin_section(struct mig_writer *w, const char *name, uint32_t instance, uint32_t version,
			 uint32_t sec_flags, size_t *len_at, struct mig_err *err)
{
	size_t n = strlen(name);
	int ret;

	if (w->finished) {
		mig_err_set(err, "section '%s': the stream is already finished", name);
		return -EINVAL;
	}
	if (!vmstate_name_ok(name, n) || sec_flags > 0xff) {
		mig_err_set(err, "section '%s': bad name or flags", name);
		return -EINVAL;
	}
	if (w->nr_sections >= MIG_MAX_SECTIONS) {
		mig_err_set(err, "section '%s': more than %u sections", name, MIG_MAX_SECTIONS);
		return -E2BIG;
	}
	ret = wbuf_put_le(w, MIG_REC_SECTION, 1);
	if (!ret)
		ret = wbuf_put_le(w, sec_flags, 1);
	if (!ret)
		ret = wbuf_put_le(w, n, 1);
	if (!ret)
		ret = wbuf_put(w, name, n);
	if (!ret)
		ret = wbuf_put_le(w, instance, 4);
	if (!ret)
		ret = wbuf_put_le(w, version, 4);
	*len_at = w->len;
	if (!ret)
		ret = wbuf_put_le(w, 0, 4);
	if (ret)
		mig_err_set(err, "section '%s': %s", name,
			    ret == -E2BIG ? "the stream is over its size limit" : "out of memory");
	return ret;
}

static int end_section(struct mig_writer *w, const char *name, size_t len_at, size_t start,
		       struct mig_err *err)
{
	size_t body_len = w->len - len_at - 4;

	if (body_len > MIG_MAX_SECTION_LEN) {
		mig_err_set(err, "section '%s': body of %zu bytes is over the limit of %u", name, body_len,
			    MIG_MAX_SECTION_LEN);
		w->len = start;
		return -E2BIG;
	}
	put_le(w->buf + len_at, body_len, 4);
	w->nr_sections++;
	return 0;
}

int mig_writer_add(struct mig_writer *w, const struct vmstate_desc *d, uint32_t instance, const void *state,
		   uint32_t sec_flags, struct mig_err *err)
{
	size_t start = w->len, len_at;
	int ret;

	ret = begin_section(w, d->name, instance, d->version, sec_flags, &len_at, err);
	if (ret)
		goto err_rewind;
	w->overflow = false;
	ret = vmstate_save(d, state, &w->pk, err);
	if (ret) {
		if (w->overflow) {
			mig_err_set(err, "the stream is over its size limit of %u bytes", MIG_MAX_STREAM_LEN);
			ret = -E2BIG;
		}
		mig_err_prefix(err, "section '%s' instance %" PRIu32, d->name, instance);
		goto err_rewind;
	}
	return end_section(w, d->name, len_at, start, err);

err_rewind:
	w->len = start;
	return ret;
}

int mig_writer_add_raw(struct mig_writer *w, const char *name, uint32_t instance, uint32_t version,
		       uint32_t sec_flags, const void *body, size_t len, struct mig_err *err)
{
	size_t start = w->len, len_at;
	int ret;

	ret = begin_section(w, name, instance, version, sec_flags, &len_at, err);
	if (!ret && len > MIG_MAX_SECTION_LEN) {
		mig_err_set(err, "section '%s': body of %zu bytes is over the limit of %u", name, len,
			    MIG_MAX_SECTION_LEN);
		ret = -E2BIG;
	}
	if (!ret) {
		ret = wbuf_put(w, body, len);
		if (ret)
			mig_err_set(err, "section '%s': the stream is over its size limit", name);
	}
	if (ret) {
		w->len = start;
		return ret;
	}
	return end_section(w, name, len_at, start, err);
}

int mig_writer_finish(struct mig_writer *w, struct mig_err *err)
{
	int ret;

	if (w->finished) {
		mig_err_set(err, "the stream is already finished");
		return -EINVAL;
	}
	ret = wbuf_put_le(w, MIG_REC_END, 1);
	if (!ret)
		ret = wbuf_put_le(w, w->nr_sections, 4);
	if (!ret)
		ret = wbuf_put_le(w, mig_crc32c(0, w->buf, w->len), 4);
	if (ret) {
		mig_err_set(err, "cannot end the stream: %s", ret == -E2BIG ? "over its size limit" : "out of memory");
		return ret;
	}
	w->finished = true;
	return 0;
}

/* --- Reader ---------------------------------------------------------------- */

static int truncated(size_t len, const char *what, size_t at, struct mig_err *err)
{
	mig_err_set(err, "truncated at byte %zu (%s at byte %zu)", len, what, at);
	return -EBADMSG;
}

/* Parses the section record at pos (framing only) and returns the next position. */
static int parse_section(const struct mig_reader *r, size_t pos, struct mig_section *sec, size_t *next,
			 struct mig_err *err)
{
	const uint8_t *p = r->buf + pos;
	size_t left = r->len - pos;
	size_t name_len;

	memset(sec, 0, sizeof(*sec));
	sec->offset = pos;
	if (left < 3)
		return truncated(r->len, "section header", pos, err);
	sec->flags = p[1];
	name_len = p[2];
	if (left < 3 + name_len + 12)
		return truncated(r->len, "section header", pos, err);
	if (!vmstate_name_ok((const char *)p + 3, name_len)) {
		mig_err_set(err, "bad section name at byte %zu", pos + 3);
		return -EBADMSG;
	}
	memcpy(sec->name, p + 3, name_len);
	sec->name[name_len] = '\0';
	p += 3 + name_len;
	sec->instance = get_le(p, 4);
	sec->version = get_le(p + 4, 4);
	sec->body_len = get_le(p + 8, 4);
	sec->body_offset = pos + 3 + name_len + 12;
	sec->body = r->buf + sec->body_offset;
	if (sec->body_len > MIG_MAX_SECTION_LEN) {
		mig_err_set(err, "section '%s' at byte %zu: body of %" PRIu32 " bytes is over the limit of %u",
			    sec->name, pos, sec->body_len, MIG_MAX_SECTION_LEN);
		return -E2BIG;
	}
	if (sec->body_len > r->len - sec->body_offset) {
		mig_err_set(err, "truncated at byte %zu (section '%s' at byte %zu has a %" PRIu32 "-byte body)",
			    r->len, sec->name, pos, sec->body_len);
		return -EBADMSG;
	}
	*next = sec->body_offset + sec->body_len;
	return 0;
}

static int check_header(struct mig_reader *r, struct mig_err *err)
{
	struct mig_header *h = &r->hdr;

	if (r->len < MIG_HDR_LEN)
		return truncated(r->len, "a header of 24 bytes", 0, err);
	if (memcmp(r->buf, MIG_MAGIC, MIG_MAGIC_LEN) != 0) {
		mig_err_set(err, "bad magic: not a vmm state stream");
		return -EBADMSG;
	}
	h->major = (uint16_t)get_le(r->buf + 8, 2);
	h->minor = (uint16_t)get_le(r->buf + 10, 2);
	h->arch = get_le(r->buf + 12, 4);
	h->flags = get_le(r->buf + 16, 4);
	h->hdr_len = get_le(r->buf + 20, 4);
	if (h->major > MIG_FORMAT_MAJOR) {
		mig_err_set(err, "format %u.%u is newer than this vmm (%u.x)", h->major, h->minor, MIG_FORMAT_MAJOR);
		return -EPROTONOSUPPORT;
	}
	if (h->major == MIG_FORMAT_MAJOR && h->minor > MIG_FORMAT_MINOR) {
		mig_err_set(err, "format %u.%u is newer than this vmm (%u.%u)", h->major, h->minor, MIG_FORMAT_MAJOR,
			    MIG_FORMAT_MINOR);
		return -EPROTONOSUPPORT;
	}
	if (h->major < MIG_FORMAT_MAJOR) {
		mig_err_set(err, "format %u.%u is older than this vmm supports (%u.x)", h->major, h->minor,
			    MIG_FORMAT_MAJOR);
		return -EPROTONOSUPPORT;
	}
	if (h->hdr_len < MIG_HDR_LEN || h->hdr_len > MIG_MAX_HDR_LEN) {
		mig_err_set(err, "bad header length %" PRIu32, h->hdr_len);
		return -EBADMSG;
	}
	if (r->len < h->hdr_len)
		return truncated(r->len, "the header", 0, err);
	return 0;
}

/* Walks every record without looking into bodies: lengths, names, limits, end. */
static int check_framing(struct mig_reader *r, size_t *end_at, struct mig_err *err)
{
	struct mig_section sec;
	size_t pos = r->hdr.hdr_len;
	uint32_t n = 0;
	int ret;

	for (;;) {
		if (pos >= r->len)
			return truncated(r->len, "the next record", pos, err);
		if (r->buf[pos] == MIG_REC_END)
			break;
		if (r->buf[pos] != MIG_REC_SECTION) {
			mig_err_set(err, "bad record type 0x%02x at byte %zu", r->buf[pos], pos);
			return -EBADMSG;
		}
		if (++n > MIG_MAX_SECTIONS) {
			mig_err_set(err, "more than %u sections", MIG_MAX_SECTIONS);
			return -E2BIG;
		}
		ret = parse_section(r, pos, &sec, &pos, err);
		if (ret)
			return ret;
	}
	if (r->len - pos < MIG_END_LEN)
		return truncated(r->len, "the end record", pos, err);
	if (r->len - pos > MIG_END_LEN) {
		mig_err_set(err, "%zu bytes after the end record at byte %zu", r->len - pos - MIG_END_LEN, pos);
		return -EBADMSG;
	}
	r->nr_sections = get_le(r->buf + pos + 1, 4);
	if (r->nr_sections != n) {
		mig_err_set(err, "the end record counts %" PRIu32 " sections, the stream has %" PRIu32,
			    r->nr_sections, n);
		return -EBADMSG;
	}
	*end_at = pos;
	return 0;
}

int mig_reader_open(struct mig_reader *r, const void *buf, size_t len, uint32_t arch, uint32_t flags,
		    struct mig_err *err)
{
	size_t end_at = 0;
	int ret;

	*r = (struct mig_reader){ .buf = buf, .len = len };
	if (len > MIG_MAX_STREAM_LEN) {
		mig_err_set(err, "stream of %zu bytes is over the limit of %u", len, MIG_MAX_STREAM_LEN);
		return -E2BIG;
	}
	ret = check_header(r, err);
	if (ret)
		return ret;
	ret = check_framing(r, &end_at, err);
	if (ret)
		return ret;
	r->crc_stored = get_le(r->buf + end_at + 5, 4);
	r->crc_computed = mig_crc32c(0, r->buf, end_at + 5);
	r->crc_ok = r->crc_stored == r->crc_computed;
	if (!r->crc_ok && !(flags & MIG_READ_IGNORE_CRC)) {
		mig_err_set(err, "CRC mismatch: stored 0x%08" PRIx32 ", computed 0x%08" PRIx32, r->crc_stored,
			    r->crc_computed);
		return -EBADMSG;
	}
	if (!(flags & MIG_READ_ANY_ARCH) && r->hdr.arch != arch) {
		mig_err_set(err, "stream is for arch %" PRIu32 " (%s), this VM is %" PRIu32 " (%s)", r->hdr.arch,
			    mig_arch_name(r->hdr.arch), arch, mig_arch_name(arch));
		return -EXDEV;
	}
	if (r->hdr.flags & MIG_F_MUST_UNDERSTAND & ~MIG_F_KNOWN) {
		mig_err_set(err, "stream has unknown required flags 0x%08" PRIx32,
			    r->hdr.flags & MIG_F_MUST_UNDERSTAND & ~MIG_F_KNOWN);
		return -EPROTONOSUPPORT;
	}
	r->pos = r->hdr.hdr_len;
	return 0;
}

int mig_reader_next(struct mig_reader *r, struct mig_section *sec, struct mig_err *err)
{
	size_t next;
	int ret;

	if (!r->buf || r->pos >= r->len) {
		mig_err_set(err, "reader not open");
		return -EINVAL;
	}
	if (r->buf[r->pos] == MIG_REC_END)
		return 0;
	ret = parse_section(r, r->pos, sec, &next, err); /* framing was checked at open */
	if (ret)
		return ret;
	r->pos = next;
	r->next_index++;
	return 1;
}

int mig_section_load(const struct mig_section *sec, const struct vmstate_desc *d, void *state,
		     struct mig_err *err)
{
	int ret;

	if (strcmp(sec->name, d->name) != 0) {
		mig_err_set(err, "section '%s' instance %" PRIu32 " is not a '%s'", sec->name, sec->instance, d->name);
		return -EINVAL;
	}
	ret = vmstate_load(d, state, sec->version, sec->body, sec->body_len, sec->body_offset, err);
	if (ret)
		mig_err_prefix(err, "section '%s' instance %" PRIu32, sec->name, sec->instance);
	return ret;
}
