// SPDX-License-Identifier: MIT
/*
 * vmm-inspect: prints a state stream (a snapshot's DIR/state, or any stream file).
 *
 *   vmm-inspect DIR|FILE
 *
 * The header (magic, format version, arch, flags, size, CRC ok/bad), then every
 * section with its name, instance, version and body size; a "topology" section as
 * a table, any other body as a decoded msgpack tree (long arrays and byte buffers
 * truncated). A bad CRC is reported and the sections are still shown, since the
 * framing was checked. Exit status: 0 all good, 1 a damaged or unreadable stream,
 * 2 usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "migration/format/msgpack_read.h"
#include "migration/format/stream.h"
#include "migration/vm/topology.h"

#define MAX_INLINE 8     /* scalar array elements shown */
#define MAX_BLOCK 16     /* map / struct array entries shown */
#define MAX_HEX 32       /* bytes of a bin shown */
#define MAX_STR 64       /* characters of a string shown */

/* Reads at most MIG_MAX_STREAM_LEN + 1 bytes: the reader reports a longer file. */
static int read_file(const char *path, uint8_t **bufp, size_t *lenp)
{
	const size_t limit = (size_t)MIG_MAX_STREAM_LEN + 1;
	size_t cap = 0, n = 0;
	uint8_t *buf = NULL;
	FILE *fp = fopen(path, "rb");
	int ret = 0;

	if (!fp)
		return -errno;
	while (n < limit) {
		size_t got;

		if (n == cap) {
			size_t ncap = cap ? MIN(cap * 2, limit) : 65536;
			uint8_t *nb = realloc(buf, ncap);

			if (!nb) {
				ret = -ENOMEM;
				break;
			}
			buf = nb;
			cap = ncap;
		}
		got = fread(buf + n, 1, cap - n, fp);
		if (got == 0) {
			if (ferror(fp))
				ret = -EIO;
			break;
		}
		n += got;
	}
	fclose(fp);
	if (ret) {
		free(buf);
		return ret;
	}
	*bufp = buf;
	*lenp = n;
	return 0;
}

static void indent(unsigned depth)
{
	printf("%*s", (int)(depth * 2), "");
}

static void print_str(const uint8_t *p, uint32_t len)
{
	putchar('"');
	for (uint32_t i = 0; i < len && i < MAX_STR; i++) {
		if (p[i] == '"' || p[i] == '\\')
			printf("\\%c", p[i]);
		else if (p[i] >= 0x20 && p[i] < 0x7f)
			putchar(p[i]);
		else
			printf("\\x%02x", p[i]);
	}
	putchar('"');
	if (len > MAX_STR)
		printf("…(%" PRIu32 " chars)", len);
}

static void print_scalar(const struct mpr_item *it)
{
	switch (it->kind) {
	case MPR_NIL:
		printf("nil");
		break;
	case MPR_BOOL:
		printf("%s", it->b ? "true" : "false");
		break;
	case MPR_UINT:
		if (it->u < 0x10000)
			printf("%" PRIu64, it->u);
		else
			printf("0x%" PRIx64, it->u);
		break;
	case MPR_INT:
		printf("%" PRId64, it->i);
		break;
	case MPR_FLOAT:
		printf("%g", it->f);
		break;
	case MPR_STR:
		print_str(it->s.ptr, it->s.len);
		break;
	case MPR_BIN:
		printf("bin[%" PRIu32 "] ", it->s.len);
		for (uint32_t i = 0; i < it->s.len && i < MAX_HEX; i++)
			printf("%02x", it->s.ptr[i]);
		if (it->s.len > MAX_HEX)
			printf("…");
		break;
	case MPR_EXT:
		printf("ext(type %d, %" PRIu32 " bytes)", it->s.ext_type, it->s.len);
		break;
	default:
		break;
	}
}

static bool is_container(const struct mpr_item *it)
{
	return it->kind == MPR_ARRAY || it->kind == MPR_MAP;
}

static int print_value(struct mpr *r, const struct mpr_item *it, unsigned depth, struct mig_err *err);

/* Arrays whose first element is a scalar print on one line. */
static int print_array(struct mpr *r, const struct mpr_item *it, unsigned depth, struct mig_err *err)
{
	struct mpr peek = *r;
	struct mpr_item el;
	bool inline_ = true;
	int ret;

	if (it->n && mpr_next(&peek, &el, err) == 0 && is_container(&el))
		inline_ = false;
	if (inline_) {
		printf(" [");
		for (uint32_t i = 0; i < it->n; i++) {
			ret = mpr_next(r, &el, err);
			if (ret)
				return ret;
			if (i < MAX_INLINE) {
				printf("%s", i ? ", " : "");
				if (is_container(&el))
					printf("%s", el.kind == MPR_MAP ? "{…}" : "[…]");
				else
					print_scalar(&el);
			}
			ret = mpr_skip_rest(r, &el, err);
			if (ret)
				return ret;
		}
		if (it->n > MAX_INLINE)
			printf(", … %" PRIu32 " more", it->n - MAX_INLINE);
		printf("]\n");
		return 0;
	}
	printf(" array[%" PRIu32 "]\n", it->n);
	for (uint32_t i = 0; i < it->n; i++) {
		ret = mpr_next(r, &el, err);
		if (ret)
			return ret;
		if (i >= MAX_BLOCK) {
			ret = mpr_skip_rest(r, &el, err);
			if (ret)
				return ret;
			continue;
		}
		indent(depth + 1);
		printf("[%" PRIu32 "]:", i);
		ret = print_value(r, &el, depth + 1, err);
		if (ret)
			return ret;
	}
	if (it->n > MAX_BLOCK) {
		indent(depth + 1);
		printf("… %" PRIu32 " more\n", it->n - MAX_BLOCK);
	}
	return 0;
}

/* One "key: value" line (or block) per entry, indented one level below depth. */
static int print_map_entries(struct mpr *r, const struct mpr_item *it, unsigned depth, struct mig_err *err)
{
	struct mpr_item k, v;
	int ret;

	for (uint32_t i = 0; i < it->n; i++) {
		ret = mpr_next(r, &k, err);
		if (!ret)
			ret = mpr_skip_rest(r, &k, err); /* a container key is shown as such */
		if (!ret)
			ret = mpr_next(r, &v, err);
		if (ret)
			return ret;
		indent(depth + 1);
		if (k.kind == MPR_STR)
			printf("%.*s:", (int)MIN(k.s.len, (uint32_t)MAX_STR), (const char *)k.s.ptr);
		else if (is_container(&k))
			printf("(container key):");
		else
			print_scalar(&k), printf(":");
		ret = print_value(r, &v, depth + 1, err);
		if (ret)
			return ret;
	}
	return 0;
}

static int print_value(struct mpr *r, const struct mpr_item *it, unsigned depth, struct mig_err *err)
{
	if (depth > MPR_MAX_DEPTH) {
		mig_err_set(err, "nesting deeper than %u", MPR_MAX_DEPTH);
		return -E2BIG;
	}
	if (it->kind == MPR_MAP) {
		printf("\n");
		return print_map_entries(r, it, depth, err);
	}
	if (it->kind == MPR_ARRAY)
		return print_array(r, it, depth, err);
	printf(" ");
	print_scalar(it);
	printf("\n");
	return 0;
}

static int print_tree(const struct mig_section *sec)
{
	struct mig_err err = { 0 };
	struct mpr_item it;
	struct mpr r;
	int ret;

	mpr_init(&r, sec->body, sec->body_len, sec->body_offset);
	ret = mpr_next(&r, &it, &err);
	if (!ret && it.kind == MPR_MAP) {
		ret = print_map_entries(&r, &it, 1, &err);
	} else if (!ret) {
		printf("    body:");
		ret = print_value(&r, &it, 1, &err);
	}
	if (!ret && r.pos != r.len) {
		mig_err_set(&err, "%zu bytes after the body", r.len - r.pos);
		ret = -EBADMSG;
	}
	if (ret)
		printf("    <body damaged: %s>\n", err.msg);
	return ret;
}

static const char *flag_str(bool b)
{
	return b ? "yes" : "-";
}

static int print_topology(const struct mig_section *sec)
{
	static struct topology_state t;
	struct mig_err err = { 0 };
	uint32_t enabled = 0, on = 0;
	int ret;

	memset(&t, 0, sizeof(t));
	ret = mig_section_load(sec, &topology_vmstate, &t, &err);
	if (ret) {
		printf("    <cannot decode the topology: %s>\n", err.msg);
		print_tree(sec);
		return ret;
	}
	for (uint32_t i = 0; i < t.nr_vcpus; i++) {
		enabled += t.vcpus[i].enabled;
		on += t.vcpus[i].powered_on;
	}
	printf("    max_vcpus %" PRIu32 ", enabled %" PRIu32 ", powered on %" PRIu32 "\n", t.max_vcpus, enabled,
	       on);
	printf("    %5s  %-18s  %-7s  %-10s  %-10s  %-11s  %s\n", "vcpu", "mpidr", "enabled", "accessible",
	       "powered_on", "cold_booted", "numa");
	for (uint32_t i = 0; i < t.nr_vcpus; i++) {
		const struct topology_vcpu *v = &t.vcpus[i];

		printf("    %5" PRIu32 "  0x%016" PRIx64 "  %-7s  %-10s  %-10s  %-11s  ", v->id, v->mpidr, flag_str(v->enabled),
		       flag_str(v->accessible), flag_str(v->powered_on), flag_str(v->cold_booted));
		if (v->numa_node == TOPOLOGY_NUMA_NONE)
			printf("-\n");
		else
			printf("%" PRIu32 "\n", v->numa_node);
	}
	return 0;
}

/* complete: the stream opened (else only what the header check parsed). */
static void print_header(const char *path, const struct mig_reader *r, size_t len, bool complete)
{
	const struct mig_header *h = &r->hdr;

	printf("file:     %s\n", path);
	printf("magic:    %.8s\n", (const char *)r->buf);
	printf("format:   %u.%u (this vmm: %u.%u)\n", h->major, h->minor, MIG_FORMAT_MAJOR, MIG_FORMAT_MINOR);
	printf("arch:     %" PRIu32 " (%s)\n", h->arch, mig_arch_name(h->arch));
	printf("flags:    0x%08" PRIx32 " (%s)\n", h->flags, h->flags & MIG_F_LIVE ? "live migration" : "snapshot");
	printf("size:     %zu bytes (header %" PRIu32 ")\n", len, h->hdr_len);
	if (!complete)
		return;
	if (r->crc_ok)
		printf("crc:      0x%08" PRIx32 " ok\n", r->crc_stored);
	else
		printf("crc:      BAD (stored 0x%08" PRIx32 ", computed 0x%08" PRIx32 ")\n", r->crc_stored,
		       r->crc_computed);
	printf("sections: %" PRIu32 "\n", r->nr_sections);
}

int main(int argc, char **argv)
{
	struct mig_err err = { 0 };
	struct mig_section sec;
	struct mig_reader r;
	char path[4096];
	struct stat stbuf;
	uint8_t *buf = NULL;
	size_t len = 0;
	int ret, status = 0;

	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: %s DIR|FILE\n  DIR: a snapshot directory (reads DIR/state)\n", argv[0]);
		return 2;
	}
	if (stat(argv[1], &stbuf) == 0 && S_ISDIR(stbuf.st_mode))
		snprintf(path, sizeof(path), "%s/state", argv[1]);
	else
		snprintf(path, sizeof(path), "%s", argv[1]);
	ret = read_file(path, &buf, &len);
	if (ret) {
		fprintf(stderr, "vmm-inspect: %s: %s\n", path, strerror(-ret));
		return 1;
	}
	ret = mig_reader_open(&r, buf, len, 0, MIG_READ_ANY_ARCH | MIG_READ_IGNORE_CRC, &err);
	if (ret) {
		if (r.hdr.hdr_len) /* the header itself was readable */
			print_header(path, &r, len, false);
		fprintf(stderr, "vmm-inspect: %s: %s\n", path, err.msg);
		free(buf);
		return 1;
	}
	print_header(path, &r, len, true);
	if (!r.crc_ok)
		status = 1;
	for (unsigned i = 0; (ret = mig_reader_next(&r, &sec, &err)) > 0; i++) {
		printf("\n[%u] %s  instance %" PRIu32 "  version %" PRIu32 "  body %" PRIu32 " bytes  at byte %zu%s\n",
		       i, sec.name, sec.instance, sec.version, sec.body_len, sec.offset,
		       sec.flags & MIG_SEC_OPTIONAL ? "  (optional)" : "");
		if (strcmp(sec.name, TOPOLOGY_SECTION) == 0)
			ret = print_topology(&sec);
		else
			ret = print_tree(&sec);
		if (ret)
			status = 1;
	}
	if (ret < 0) {
		fprintf(stderr, "vmm-inspect: %s: %s\n", path, err.msg);
		status = 1;
	}
	free(buf);
	return status;
}
