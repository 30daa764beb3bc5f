/* SPDX-License-Identifier: MIT */
/*
 * The state stream shared by snapshot files and live migration. Little-endian:
 *
 *   header   magic "VMMSTATE" (8) | u16 major | u16 minor | u32 arch (ELF e_machine)
 *            | u32 flags | u32 header length (24; a newer minor may append fields)
 *   section  u8 'S' | u8 flags | u8 name length (1..63) | name | u32 instance
 *            | u32 version | u32 body length | body (a msgpack map, see vmstate.h)
 *   ...
 *   end      u8 'E' | u32 number of sections | u32 CRC-32C of every byte before it
 *
 * A reader takes the whole stream in memory. It checks, in order: the magic, the
 * format version (same major, minor ≤ ours), the framing (every length within the
 * data and the limits below, an end record, nothing after it), the CRC, the arch,
 * and the header flags; only then does it hand out sections, whose bodies are
 * still decoded defensively. Guest RAM is not in this stream.
 */
#ifndef MIGRATION_STREAM_H
#define MIGRATION_STREAM_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "migration/format/error.h"
#include "migration/format/vmstate.h"
#include "vmm/core/compiler.h"

#define MIG_MAGIC "VMMSTATE"
#define MIG_MAGIC_LEN 8
#define MIG_FORMAT_MAJOR 1
#define MIG_FORMAT_MINOR 0
#define MIG_HDR_LEN 24

/* Guest architectures: ELF e_machine values. */
#define MIG_ARCH_X86_64 62
#define MIG_ARCH_AARCH64 183

/* Header flags. */
#define MIG_F_LIVE 0x1u                    /* written by live migration (else a snapshot) */
#define MIG_F_KNOWN (MIG_F_LIVE)
/* Unknown bits in this mask make a reader refuse the stream; others are ignored. */
#define MIG_F_MUST_UNDERSTAND 0xffff0000u

/* Section flags. */
#define MIG_SEC_OPTIONAL 0x1u /* a reader that does not know this section may skip it */

/* Record types. */
#define MIG_REC_SECTION 'S'
#define MIG_REC_END 'E'
#define MIG_END_LEN 9

/* Limits against hostile input (the writer enforces them too). */
#define MIG_MAX_SECTIONS 4096
#define MIG_MAX_SECTION_LEN (4u << 20)
#define MIG_MAX_STREAM_LEN (64u << 20)
#define MIG_MAX_HDR_LEN 256
#define MIG_MAX_NAME VMS_MAX_NAME

struct mig_header {
	uint16_t major;
	uint16_t minor;
	uint32_t arch;
	uint32_t flags;
	uint32_t hdr_len;
};

/* --- Writer ---------------------------------------------------------------- */

struct mig_writer {
	uint8_t *buf;
	size_t len;
	size_t cap;
	uint32_t nr_sections;
	bool finished;
	bool overflow; /* the buffer would pass MIG_MAX_STREAM_LEN */
	msgpack_packer pk;
};

int mig_writer_init(struct mig_writer *w, uint32_t arch, uint32_t flags) __must_check;
void mig_writer_fini(struct mig_writer *w);
/* Appends a section: the body of `state` encoded with d, at version d->version. */
int mig_writer_add(struct mig_writer *w, const struct vmstate_desc *d, uint32_t instance, const void *state,
		   uint32_t sec_flags, struct mig_err *err) __must_check;
/* Appends a section with a ready-made body (forwarding, tests). */
int mig_writer_add_raw(struct mig_writer *w, const char *name, uint32_t instance, uint32_t version,
		       uint32_t sec_flags, const void *body, size_t len, struct mig_err *err) __must_check;
/* Appends the end record and the CRC. The stream is then w->buf[0..w->len). */
int mig_writer_finish(struct mig_writer *w, struct mig_err *err) __must_check;

/* --- Reader ---------------------------------------------------------------- */

#define MIG_READ_ANY_ARCH 0x1u   /* do not check the arch (inspection) */
#define MIG_READ_IGNORE_CRC 0x2u /* report a bad CRC in crc_ok but go on (inspection, fuzzing) */

struct mig_reader {
	const uint8_t *buf;
	size_t len;
	struct mig_header hdr;
	size_t pos;           /* next record */
	uint32_t nr_sections; /* from the end record */
	uint32_t next_index;  /* sections handed out so far */
	uint32_t crc_stored;
	uint32_t crc_computed;
	bool crc_ok;
};

struct mig_section {
	char name[MIG_MAX_NAME + 1];
	uint32_t flags;       /* MIG_SEC_* */
	uint32_t instance;
	uint32_t version;
	const uint8_t *body;
	uint32_t body_len;
	size_t offset;        /* of the section record in the stream */
	size_t body_offset;
};

/* Validates a whole stream held in buf (which must outlive the reader). `arch`
 * is the expected guest arch; flags are MIG_READ_*. */
int mig_reader_open(struct mig_reader *r, const void *buf, size_t len, uint32_t arch, uint32_t flags,
		    struct mig_err *err) __must_check;
/* Next section: 1 and *sec filled, 0 at the end record, or -errno. */
int mig_reader_next(struct mig_reader *r, struct mig_section *sec, struct mig_err *err) __must_check;
/* Decodes sec into state with d (its name must match), checking the version
 * window; errors name the section and instance. */
int mig_section_load(const struct mig_section *sec, const struct vmstate_desc *d, void *state,
		     struct mig_err *err) __must_check;

/* "aarch64", "x86_64" or "unknown". */
const char *mig_arch_name(uint32_t arch);

#endif
