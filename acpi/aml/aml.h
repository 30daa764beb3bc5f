/* SPDX-License-Identifier: MIT */
/*
 * AML encoder (ACPI 6.5 §20). Builds a tree of nodes; each node owns the bytes
 * of its encoding, and PkgLength fields are computed when a node is appended to
 * its parent or emitted.
 *
 * Ownership: every function that takes `struct aml *` operands consumes them,
 * also when it fails. aml_append() consumes the child. A function never returns
 * NULL: on an invalid argument or allocation failure it returns an error node
 * that carries the -errno. Error nodes propagate through every constructor and
 * container, so a whole tree is checked once, by aml_emit() or aml_error().
 * Passing NULL where an operand is required yields -EINVAL; NULL is accepted
 * only where a parameter says "may be NULL" (the Target of arithmetic).
 *
 * Name arguments are ASL-style paths: "CSCN", "\\_SB.CPUS.CSCN", "^PARN.CHLD",
 * "\\" (the root). Segments are 1..4 characters of [A-Z0-9_] not starting with a
 * digit and are padded with '_' as in ASL ("GED" is "GED_").
 *
 * Integers are 64-bit: use the result in a definition block of revision >= 2.
 */
#ifndef ACPI_AML_H
#define ACPI_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "acpi/aml/buf.h"
#include "vmm/core/compiler.h"

struct aml;

/* --- Tree ------------------------------------------------------------------ */

/* A TermList with no opcode of its own: the body of a definition block. */
struct aml *aml_block(void);
/* Appends child's encoding to parent's contents and frees child. Errors are sticky in parent. */
void aml_append(struct aml *parent, struct aml *child);
/* The first error recorded in `a` (or 0). */
int aml_error(const struct aml *a) __must_check;
/* Appends the encoding of `a` to `out`; on error records it in `out` and returns it. */
int aml_emit(const struct aml *a, struct acpi_buf *out) __must_check;
/* Frees `a` (NULL is a no-op). */
void aml_free(struct aml *a);

/* --- Encoding helpers, exported for tests ------------------------------------ */

/*
 * PkgLength for a package whose contents after the PkgLength are `body_len`
 * bytes: the value includes the PkgLength bytes themselves. Returns the number
 * of bytes written to out (1..4) or -E2BIG.
 */
int aml_pkglen_encode(size_t body_len, uint8_t out[4]) __must_check;
/* The same variable-length encoding of a plain value (field widths): no self-inclusion. */
int aml_varlen_encode(uint32_t value, uint8_t out[4]) __must_check;
/* Encodes a NameString (see above) into out. */
int aml_namestring_encode(struct acpi_buf *out, const char *path) __must_check;

/* --- Data objects ---------------------------------------------------------- */

struct aml *aml_zero(void);
struct aml *aml_one(void);
struct aml *aml_ones(void);
/* Shortest encoding: Zero, One, Ones (all bits set), then Byte/Word/DWord/QWord. */
struct aml *aml_int(uint64_t v);
/* Fixed-size encodings with an explicit prefix. */
struct aml *aml_byte(uint8_t v);
struct aml *aml_word(uint16_t v);
struct aml *aml_dword(uint32_t v);
struct aml *aml_qword(uint64_t v);
/* ASCII 0x01..0x7F, NUL-terminated in AML. */
struct aml *aml_string(const char *s);
/* Buffer initialised with `len` bytes (data may be NULL: zero-filled). */
struct aml *aml_buffer(const void *data, size_t len);
/* Package: append up to 255 elements to it. */
struct aml *aml_package(void);
/* EISAID("PNP0A05") as a DWord. */
struct aml *aml_eisaid(const char *id);
/* ToUUID("0811b06e-4a27-44f9-8d60-3cbbc22e7b48"): a 16-byte Buffer. */
struct aml *aml_touuid(const char *uuid);

/* --- Names and objects ----------------------------------------------------- */

/* A reference to a named object (a NameString as SuperName/TermArg). */
struct aml *aml_name(const char *path);
/* Name(NAME, value) */
struct aml *aml_name_decl(const char *name, struct aml *value);
struct aml *aml_scope(const char *path);
struct aml *aml_device(const char *path);

enum aml_serialize { AML_NOT_SERIALIZED = 0, AML_SERIALIZED = 1 };
/* Method(NAME, nargs 0..7, serialized); append the body to it. */
struct aml *aml_method(const char *path, unsigned int nargs, enum aml_serialize ser);

struct aml *aml_local(unsigned int n); /* Local0..Local7 */
struct aml *aml_arg(unsigned int n);   /* Arg0..Arg6 */

/* Mutex(NAME, sync_level 0..15) */
struct aml *aml_mutex(const char *name, unsigned int sync_level);
/* Acquire(mutex, timeout_ms); 0xFFFF waits forever. The result (timed out) is discarded. */
struct aml *aml_acquire(struct aml *mutex, uint16_t timeout);
struct aml *aml_release(struct aml *mutex);

enum aml_region_space {
	AML_SYSTEM_MEMORY = 0x00,
	AML_SYSTEM_IO = 0x01,
	AML_PCI_CONFIG = 0x02,
	AML_EMBEDDED_CONTROL = 0x03,
};
/* OperationRegion(NAME, space, offset, length) */
struct aml *aml_operation_region(const char *name, enum aml_region_space space,
				 struct aml *offset, struct aml *len);

enum aml_access_type {
	AML_ANY_ACC = 0,
	AML_BYTE_ACC = 1,
	AML_WORD_ACC = 2,
	AML_DWORD_ACC = 3,
	AML_QWORD_ACC = 4,
	AML_BUFFER_ACC = 5,
};
enum aml_lock_rule { AML_NOLOCK = 0, AML_LOCK = 1 };
enum aml_update_rule { AML_PRESERVE = 0, AML_WRITE_AS_ONES = 1, AML_WRITE_AS_ZEROS = 2 };

/* Field(REGION, access, lock, update); add its elements with aml_field_*(), not aml_append(). */
struct aml *aml_field(const char *region, enum aml_access_type access, enum aml_lock_rule lock,
		      enum aml_update_rule update);
/* A named field unit of `bits` bits at the current position. */
void aml_field_unit(struct aml *field, const char *name, uint32_t bits);
/* `bits` unnamed bits (ASL ", N"). */
void aml_field_reserved(struct aml *field, uint32_t bits);
/* Offset(byte_offset): skips forward to it; going backwards is an error. */
void aml_field_offset(struct aml *field, uint32_t byte_offset);

/* Create{Byte,Word,DWord,QWord}Field(source, byte_index, NAME) */
struct aml *aml_create_byte_field(struct aml *source, struct aml *index, const char *name);
struct aml *aml_create_word_field(struct aml *source, struct aml *index, const char *name);
struct aml *aml_create_dword_field(struct aml *source, struct aml *index, const char *name);
struct aml *aml_create_qword_field(struct aml *source, struct aml *index, const char *name);

/* --- Statements -------------------------------------------------------------- */

struct aml *aml_store(struct aml *src, struct aml *dst);
struct aml *aml_return(struct aml *value);
/* If(predicate) { appended terms }. An aml_else() must be appended to the same parent right after it. */
struct aml *aml_if(struct aml *predicate);
struct aml *aml_else(void);
struct aml *aml_while(struct aml *predicate);
struct aml *aml_break(void);
struct aml *aml_continue(void);
struct aml *aml_notify(struct aml *object, struct aml *value);
struct aml *aml_increment(struct aml *target);
struct aml *aml_decrement(struct aml *target);

/* --- Expressions ------------------------------------------------------------- */

struct aml *aml_lequal(struct aml *a, struct aml *b);
struct aml *aml_lless(struct aml *a, struct aml *b);
struct aml *aml_lgreater(struct aml *a, struct aml *b);
struct aml *aml_lnot(struct aml *a);
struct aml *aml_land(struct aml *a, struct aml *b);
struct aml *aml_lor(struct aml *a, struct aml *b);
/* LNot(LEqual()), LNot(LGreater()), LNot(LLess()): what ASL's !=, <=, >= compile to. */
struct aml *aml_lnotequal(struct aml *a, struct aml *b);
struct aml *aml_llessequal(struct aml *a, struct aml *b);
struct aml *aml_lgreaterequal(struct aml *a, struct aml *b);

/* Integer operators; `target` may be NULL (no store: the result is the expression's value). */
struct aml *aml_and(struct aml *a, struct aml *b, struct aml *target);
struct aml *aml_or(struct aml *a, struct aml *b, struct aml *target);
struct aml *aml_xor(struct aml *a, struct aml *b, struct aml *target);
struct aml *aml_shiftleft(struct aml *a, struct aml *count, struct aml *target);
struct aml *aml_shiftright(struct aml *a, struct aml *count, struct aml *target);
struct aml *aml_add(struct aml *a, struct aml *b, struct aml *target);
struct aml *aml_subtract(struct aml *a, struct aml *b, struct aml *target);
struct aml *aml_multiply(struct aml *a, struct aml *b, struct aml *target);

/* SizeOf(obj), DerefOf(ref), Index(obj, idx[, target]) */
struct aml *aml_sizeof(struct aml *obj);
struct aml *aml_derefof(struct aml *ref);
struct aml *aml_index(struct aml *obj, struct aml *index, struct aml *target);

/* Invokes the method `path` with nargs (0..7) arguments. */
struct aml *aml_call(const char *path, unsigned int nargs, struct aml *const args[]);

static inline struct aml *aml_call0(const char *path)
{
	return aml_call(path, 0, NULL);
}

static inline struct aml *aml_call1(const char *path, struct aml *a0)
{
	struct aml *const args[] = { a0 };

	return aml_call(path, 1, args);
}

static inline struct aml *aml_call2(const char *path, struct aml *a0, struct aml *a1)
{
	struct aml *const args[] = { a0, a1 };

	return aml_call(path, 2, args);
}

static inline struct aml *aml_call3(const char *path, struct aml *a0, struct aml *a1,
				    struct aml *a2)
{
	struct aml *const args[] = { a0, a1, a2 };

	return aml_call(path, 3, args);
}

static inline struct aml *aml_call4(const char *path, struct aml *a0, struct aml *a1,
				    struct aml *a2, struct aml *a3)
{
	struct aml *const args[] = { a0, a1, a2, a3 };

	return aml_call(path, 4, args);
}

/* --- Resource templates (ACPI 6.5 §6.4) ----------------------------------- */

/* ResourceTemplate(): a Buffer of descriptors; the EndTag is added when it is emitted. */
struct aml *aml_resource_template(void);

enum aml_rw { AML_READ_ONLY = 0, AML_READ_WRITE = 1 };
enum aml_consumer { AML_PRODUCER = 0, AML_CONSUMER = 1 };
enum aml_trigger { AML_LEVEL = 0, AML_EDGE = 1 };
enum aml_polarity { AML_ACTIVE_HIGH = 0, AML_ACTIVE_LOW = 1 };
enum aml_sharing { AML_EXCLUSIVE = 0, AML_SHARED = 1 };

/* Memory32Fixed(rw, base, length) */
struct aml *aml_memory32_fixed(uint32_t base, uint32_t len, enum aml_rw rw);
/* Interrupt(consumer, trigger, polarity, sharing) { irqs[0..n-1] }: Extended Interrupt, 1..255 GSIs. */
struct aml *aml_interrupt(enum aml_consumer consumer, enum aml_trigger trigger,
			  enum aml_polarity polarity, enum aml_sharing sharing,
			  const uint32_t *irqs, unsigned int n);
/* IO(Decode16, min, max, align, len) */
struct aml *aml_io(uint16_t min, uint16_t max, uint8_t align, uint8_t len);

enum aml_cacheable {
	AML_NON_CACHEABLE = 0,
	AML_CACHEABLE = 1,
	AML_WRITE_COMBINING = 2,
	AML_PREFETCHABLE = 3,
};
/*
 * QWordMemory(consumer, PosDecode, MinFixed, MaxFixed, cacheable, rw,
 *             granularity 0, min, min + len - 1, translation 0, len)
 */
struct aml *aml_qword_memory(enum aml_consumer consumer, enum aml_cacheable cache, enum aml_rw rw,
			     uint64_t min, uint64_t len);

#endif
