// SPDX-License-Identifier: MIT
/*
 * snapfix: makes *valid-looking* damaged snapshot state files for the
 * snapshot-bad-input scenario. Each edit rewrites the stream and recomputes its
 * CRC-32C, so the reader gets past the CRC and must catch the problem itself.
 * (Plain corruption, which the CRC catches, needs no tool: dd or truncate.)
 *
 *   snapfix FILE arch N                     header guest arch (ELF e_machine)
 *   snapfix FILE major N                    header format major version
 *   snapfix FILE section-version NAME N     version of every section called NAME
 *   snapfix FILE mem-size BYTES             the "machine" section's mem_size
 *   snapfix FILE max-vcpus N                the "machine" section's max_vcpus
 *   snapfix FILE set SECTION KEY N          the unsigned KEY of every section called SECTION
 *
 * Stream layout: migration/format/stream.h. Test tooling only: it trusts its input.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HDR_LEN_OFF 20

static uint8_t buf[64 << 20];
static uint8_t out[64 << 20];
static size_t len;

static uint32_t crc32c(const uint8_t *p, size_t n)
{
	uint32_t crc = ~0u;

	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82F63B78u & -(crc & 1));
	}
	return ~crc;
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void fix_crc(uint8_t *b, size_t n)
{
	/* The end record: 'E' | u32 count | u32 CRC of everything before the CRC. */
	wr32(b + n - 4, crc32c(b, n - 4));
}

/* Replaces the msgpack unsigned integer after the key `key` in body[0..blen). */
static size_t patch_uint(const uint8_t *body, size_t blen, const char *key, uint64_t v, uint8_t *dst)
{
	size_t klen = strlen(key), i;

	for (i = 0; i + 1 + klen < blen; i++) {
		if (body[i] == (0xa0 | klen) && !memcmp(body + i + 1, key, klen)) {
			size_t vpos = i + 1 + klen, vlen, o = 0;
			uint8_t t = body[vpos];

			vlen = t < 0x80 ? 1 : t == 0xcc ? 2 : t == 0xcd ? 3 : t == 0xce ? 5 : t == 0xcf ? 9 : 0;
			if (!vlen)
				break;
			memcpy(dst, body, vpos);
			o = vpos;
			dst[o++] = 0xcf;
			for (int k = 7; k >= 0; k--)
				dst[o++] = (uint8_t)(v >> (8 * k));
			memcpy(dst + o, body + vpos + vlen, blen - vpos - vlen);
			return o + blen - vpos - vlen;
		}
	}
	fprintf(stderr, "snapfix: key '%s' not found\n", key);
	exit(1);
}

int main(int argc, char **argv)
{
	FILE *f;
	size_t pos, o;

	if (argc < 4) {
		fprintf(stderr, "usage: snapfix FILE arch|major|section-version|mem-size|max-vcpus|set ARGS\n");
		return 2;
	}
	f = fopen(argv[1], "rb");
	if (!f || (len = fread(buf, 1, sizeof(buf), f)) < 33)
		return 1;
	fclose(f);
	if (!strcmp(argv[2], "arch")) {
		wr32(buf + 12, (uint32_t)strtoul(argv[3], NULL, 0));
		memcpy(out, buf, len);
		o = len;
	} else if (!strcmp(argv[2], "major")) {
		wr16(buf + 8, (uint16_t)strtoul(argv[3], NULL, 0));
		memcpy(out, buf, len);
		o = len;
	} else {
		pos = rd32(buf + HDR_LEN_OFF);
		memcpy(out, buf, pos);
		o = pos;
		while (pos < len && buf[pos] == 'S') {
			uint8_t nlen = buf[pos + 2];
			const char *name = (const char *)buf + pos + 3;
			size_t h = 3 + nlen + 12, blen = rd32(buf + pos + 3 + nlen + 8);
			const uint8_t *body = buf + pos + h;

			memcpy(out + o, buf + pos, h);
			if (!strcmp(argv[2], "section-version") && argc > 4 && strlen(argv[3]) == nlen &&
			    !memcmp(name, argv[3], nlen))
				wr32(out + o + 3 + nlen + 4, (uint32_t)strtoul(argv[4], NULL, 0));
			bool set = !strcmp(argv[2], "set") && argc > 5 && strlen(argv[3]) == nlen &&
				   !memcmp(name, argv[3], nlen);

			if (set || ((!strcmp(argv[2], "mem-size") || !strcmp(argv[2], "max-vcpus")) && nlen == 7 &&
				    !memcmp(name, "machine", 7))) {
				const char *key = set ? argv[4] : !strcmp(argv[2], "mem-size") ? "mem_size" : "max_vcpus";
				size_t nb = patch_uint(body, blen, key, strtoull(argv[set ? 5 : 3], NULL, 0), out + o + h);
				wr32(out + o + 3 + nlen + 8, (uint32_t)nb);
				o += h + nb;
			} else {
				memcpy(out + o + h, body, blen);
				o += h + blen;
			}
			pos += h + blen;
		}
		memcpy(out + o, buf + pos, len - pos);
		o += len - pos;
	}
	fix_crc(out, o);
	f = fopen(argv[1], "wb");
	if (!f || fwrite(out, 1, o, f) != o)
		return 1;
	fclose(f);
	return 0;
}
