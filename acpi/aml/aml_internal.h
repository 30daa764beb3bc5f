/* SPDX-License-Identifier: MIT */
/* Private to the AML encoder (acpi/aml*.c): the node and the helpers that build nodes. */
#ifndef ACPI_AML_INTERNAL_H
#define ACPI_AML_INTERNAL_H

#include <stdbool.h>
#include "acpi/aml/aml.h"

enum aml_kind {
	AML_K_ERROR,       /* carries only err */
	AML_K_TERM,        /* finished bytes: a data object, expression, statement, named object */
	AML_K_BLOCK,       /* a TermList without an opcode */
	AML_K_PKG,         /* opcode, PkgLength, body (Scope, Device, Method, If, Else, While) */
	AML_K_FIELD,       /* opcode, PkgLength, body; body grows via aml_field_*() */
	AML_K_PACKAGE,     /* PackageOp PkgLength NumElements body */
	AML_K_BUFFER,      /* BufferOp PkgLength BufferSize body */
	AML_K_RESTEMPLATE, /* a Buffer of resource descriptors plus an EndTag */
	AML_K_RESOURCE,    /* one resource descriptor, only valid inside a ResourceTemplate */
};

struct aml {
	enum aml_kind kind;
	int err;
	uint8_t op[2];
	uint8_t op_len;
	bool is_if;       /* an If, which an Else may follow */
	bool is_else;
	bool last_is_if;  /* the last child appended to this node was an If */
	uint32_t count;   /* Package elements */
	uint64_t field_bits; /* Field: bit position of the next element */
	struct acpi_buf body;
};

/* Opcodes (ACPI 6.5 §20.3). */
#define AML_ZERO_OP 0x00
#define AML_ONE_OP 0x01
#define AML_NAME_OP 0x08
#define AML_BYTE_PREFIX 0x0A
#define AML_WORD_PREFIX 0x0B
#define AML_DWORD_PREFIX 0x0C
#define AML_STRING_PREFIX 0x0D
#define AML_QWORD_PREFIX 0x0E
#define AML_SCOPE_OP 0x10
#define AML_BUFFER_OP 0x11
#define AML_PACKAGE_OP 0x12
#define AML_METHOD_OP 0x14
#define AML_DUAL_NAME_PREFIX 0x2E
#define AML_MULTI_NAME_PREFIX 0x2F
#define AML_EXT_OP_PREFIX 0x5B
#define AML_ROOT_CHAR 0x5C
#define AML_PARENT_PREFIX 0x5E
#define AML_LOCAL0_OP 0x60
#define AML_ARG0_OP 0x68
#define AML_STORE_OP 0x70
#define AML_ADD_OP 0x72
#define AML_SUBTRACT_OP 0x74
#define AML_INCREMENT_OP 0x75
#define AML_DECREMENT_OP 0x76
#define AML_MULTIPLY_OP 0x77
#define AML_SHIFT_LEFT_OP 0x79
#define AML_SHIFT_RIGHT_OP 0x7A
#define AML_AND_OP 0x7B
#define AML_OR_OP 0x7D
#define AML_XOR_OP 0x7F
#define AML_DEREF_OF_OP 0x83
#define AML_NOTIFY_OP 0x86
#define AML_SIZE_OF_OP 0x87
#define AML_INDEX_OP 0x88
#define AML_CREATE_DWORD_FIELD_OP 0x8A
#define AML_CREATE_WORD_FIELD_OP 0x8B
#define AML_CREATE_BYTE_FIELD_OP 0x8C
#define AML_CREATE_QWORD_FIELD_OP 0x8F
#define AML_LAND_OP 0x90
#define AML_LOR_OP 0x91
#define AML_LNOT_OP 0x92
#define AML_LEQUAL_OP 0x93
#define AML_LGREATER_OP 0x94
#define AML_LLESS_OP 0x95
#define AML_CONTINUE_OP 0x9F
#define AML_IF_OP 0xA0
#define AML_ELSE_OP 0xA1
#define AML_WHILE_OP 0xA2
#define AML_RETURN_OP 0xA4
#define AML_BREAK_OP 0xA5
#define AML_ONES_OP 0xFF
/* Second byte after AML_EXT_OP_PREFIX. */
#define AML_EXT_MUTEX_OP 0x01
#define AML_EXT_ACQUIRE_OP 0x23
#define AML_EXT_RELEASE_OP 0x27
#define AML_EXT_REGION_OP 0x80
#define AML_EXT_FIELD_OP 0x81
#define AML_EXT_DEVICE_OP 0x82

/* A new, empty node of `kind`; on allocation failure the shared -ENOMEM error node. */
struct aml *aml_node_new(enum aml_kind kind);
/* An error node carrying err (< 0). Frees nothing. */
struct aml *aml_err(int err);
/* True for the shared out-of-memory node, which must never be written or freed. */
bool aml_is_static(const struct aml *a);

/*
 * Builds a TERM node: the opcode bytes followed by each operand's encoding, in
 * order. Consumes all operands. An operand may be NULL only where nullable[i]
 * is true (it then encodes as NullName); nullable may be NULL (none nullable).
 */
struct aml *aml_term(const uint8_t *op, size_t op_len, struct aml *const *operands,
		     size_t n, const bool *nullable);

/* A TERM node holding exactly `len` raw bytes (flags, WordData): an operand of aml_term(). */
struct aml *aml_raw(const void *bytes, size_t len);

#endif
