// SPDX-License-Identifier: MIT
/*
 * AML operators: named objects that are not containers (Mutex, OperationRegion,
 * Field, CreateXField), statements, control flow, logical and integer
 * expressions, method invocation.
 */
#include <errno.h>
#include <string.h>

#include "acpi/aml/aml_internal.h"

static struct aml *op1(uint8_t op, struct aml *a)
{
	struct aml *operands[] = { a };

	return aml_term(&op, 1, operands, 1, NULL);
}

static struct aml *op2(uint8_t op, struct aml *a, struct aml *b)
{
	struct aml *operands[] = { a, b };

	return aml_term(&op, 1, operands, 2, NULL);
}

/* Op Operand Operand Target, with NullName when target is NULL. */
static struct aml *op2_target(uint8_t op, struct aml *a, struct aml *b, struct aml *target)
{
	static const bool nullable[] = { false, false, true };
	struct aml *operands[] = { a, b, target };

	return aml_term(&op, 1, operands, 3, nullable);
}

/* --- Named objects ------------------------------------------------------------ */

struct aml *aml_mutex(const char *name, unsigned int sync_level)
{
	static const uint8_t op[] = { AML_EXT_OP_PREFIX, AML_EXT_MUTEX_OP };
	uint8_t flags = (uint8_t)sync_level; /* SyncFlags: SyncLevel in bits 0-3 */
	struct aml *operands[] = { aml_name(name), aml_raw(&flags, 1) };

	if (sync_level > 15) {
		aml_free(operands[0]);
		aml_free(operands[1]);
		return aml_err(-EINVAL);
	}
	return aml_term(op, sizeof(op), operands, 2, NULL);
}

struct aml *aml_acquire(struct aml *mutex, uint16_t timeout)
{
	static const uint8_t op[] = { AML_EXT_OP_PREFIX, AML_EXT_ACQUIRE_OP };
	const uint8_t word[2] = { (uint8_t)timeout, (uint8_t)(timeout >> 8) }; /* WordData */
	struct aml *operands[] = { mutex, aml_raw(word, sizeof(word)) };

	return aml_term(op, sizeof(op), operands, 2, NULL);
}

struct aml *aml_release(struct aml *mutex)
{
	static const uint8_t op[] = { AML_EXT_OP_PREFIX, AML_EXT_RELEASE_OP };
	struct aml *operands[] = { mutex };

	return aml_term(op, sizeof(op), operands, 1, NULL);
}

struct aml *aml_operation_region(const char *name, enum aml_region_space space,
				 struct aml *offset, struct aml *len)
{
	static const uint8_t op[] = { AML_EXT_OP_PREFIX, AML_EXT_REGION_OP };
	uint8_t space_byte = (uint8_t)space; /* RegionSpace: a raw byte */
	struct aml *operands[] = { aml_name(name), aml_raw(&space_byte, 1), offset, len };

	if ((unsigned int)space > 0xFF) {
		for (size_t i = 0; i < ARRAY_SIZE(operands); i++)
			aml_free(operands[i]);
		return aml_err(-EINVAL);
	}
	return aml_term(op, sizeof(op), operands, ARRAY_SIZE(operands), NULL);
}

struct aml *aml_field(const char *region, enum aml_access_type access, enum aml_lock_rule lock,
		      enum aml_update_rule update)
{
	struct aml *a;
	int ret;

	if ((unsigned int)access > AML_BUFFER_ACC || (unsigned int)lock > AML_LOCK ||
	    (unsigned int)update > AML_WRITE_AS_ZEROS)
		return aml_err(-EINVAL);
	a = aml_node_new(AML_K_FIELD);
	if (aml_is_static(a))
		return a;
	a->op[0] = AML_EXT_OP_PREFIX;
	a->op[1] = AML_EXT_FIELD_OP;
	a->op_len = 2;
	ret = aml_namestring_encode(&a->body, region);
	if (ret) {
		aml_free(a);
		return aml_err(ret);
	}
	/* FieldFlags: AccessType bits 0-3, LockRule bit 4, UpdateRule bits 5-6. */
	acpi_buf_append_u8(&a->body, (uint8_t)(access | lock << 4 | update << 5));
	return a;
}

/* Appends `bits` to the field's position, or records an error. */
static int field_advance(struct aml *field, uint32_t bits)
{
	uint8_t enc[4];
	int n;

	if (!field || aml_is_static(field))
		return -EINVAL;
	if (field->err)
		return field->err;
	if (field->kind != AML_K_FIELD || bits == 0) {
		field->err = -EINVAL;
		return field->err;
	}
	n = aml_varlen_encode(bits, enc);
	if (n < 0 || field->field_bits + bits > UINT32_MAX) {
		field->err = -E2BIG;
		return field->err;
	}
	field->field_bits += bits;
	return 0;
}

void aml_field_unit(struct aml *field, const char *name, uint32_t bits)
{
	struct acpi_buf seg = ACPI_BUF_INIT;
	uint8_t enc[4];
	int ret;

	if (field_advance(field, bits))
		return;
	/* A NamedField is a single NameSeg: no prefixes, no dots. */
	ret = aml_namestring_encode(&seg, name);
	if (!ret && seg.len != 4)
		ret = -EINVAL;
	if (ret) {
		field->err = ret;
		goto out;
	}
	acpi_buf_append(&field->body, seg.data, seg.len);
	acpi_buf_append(&field->body, enc, (size_t)aml_varlen_encode(bits, enc));
out:
	acpi_buf_fini(&seg);
}

void aml_field_reserved(struct aml *field, uint32_t bits)
{
	uint8_t enc[4];

	if (field_advance(field, bits))
		return;
	acpi_buf_append_u8(&field->body, 0x00); /* ReservedField */
	acpi_buf_append(&field->body, enc, (size_t)aml_varlen_encode(bits, enc));
}

void aml_field_offset(struct aml *field, uint32_t byte_offset)
{
	uint64_t target = (uint64_t)byte_offset * 8;

	if (!field || aml_is_static(field) || field->err)
		return;
	if (field->kind != AML_K_FIELD || target < field->field_bits || target > UINT32_MAX) {
		field->err = -EINVAL;
		return;
	}
	if (target > field->field_bits)
		aml_field_reserved(field, (uint32_t)(target - field->field_bits));
}

static struct aml *create_field(uint8_t op, struct aml *source, struct aml *index,
				const char *name)
{
	struct aml *operands[] = { source, index, aml_name(name) };

	return aml_term(&op, 1, operands, 3, NULL);
}

struct aml *aml_create_byte_field(struct aml *source, struct aml *index, const char *name)
{
	return create_field(AML_CREATE_BYTE_FIELD_OP, source, index, name);
}

struct aml *aml_create_word_field(struct aml *source, struct aml *index, const char *name)
{
	return create_field(AML_CREATE_WORD_FIELD_OP, source, index, name);
}

struct aml *aml_create_dword_field(struct aml *source, struct aml *index, const char *name)
{
	return create_field(AML_CREATE_DWORD_FIELD_OP, source, index, name);
}

struct aml *aml_create_qword_field(struct aml *source, struct aml *index, const char *name)
{
	return create_field(AML_CREATE_QWORD_FIELD_OP, source, index, name);
}

/* --- Statements and control flow ------------------------------------------------ */

struct aml *aml_store(struct aml *src, struct aml *dst)
{
	return op2(AML_STORE_OP, src, dst);
}

struct aml *aml_return(struct aml *value)
{
	return op1(AML_RETURN_OP, value);
}

/* If/While: OP PkgLength Predicate TermList. */
static struct aml *predicate_pkg(uint8_t op, struct aml *predicate)
{
	struct aml *a;
	int err = predicate ? aml_error(predicate) : -EINVAL;

	if (!err && predicate->kind != AML_K_TERM)
		err = -EINVAL;
	if (err) {
		aml_free(predicate);
		return aml_err(err);
	}
	a = aml_node_new(AML_K_PKG);
	if (!aml_is_static(a)) {
		a->op[0] = op;
		a->op_len = 1;
		a->err = aml_emit(predicate, &a->body);
	}
	aml_free(predicate);
	return a;
}

struct aml *aml_if(struct aml *predicate)
{
	struct aml *a = predicate_pkg(AML_IF_OP, predicate);

	if (!aml_is_static(a))
		a->is_if = true;
	return a;
}

struct aml *aml_else(void)
{
	struct aml *a = aml_node_new(AML_K_PKG);

	if (aml_is_static(a))
		return a;
	a->op[0] = AML_ELSE_OP;
	a->op_len = 1;
	a->is_else = true;
	return a;
}

struct aml *aml_while(struct aml *predicate)
{
	return predicate_pkg(AML_WHILE_OP, predicate);
}

struct aml *aml_break(void)
{
	static const uint8_t op = AML_BREAK_OP;

	return aml_term(&op, 1, NULL, 0, NULL);
}

struct aml *aml_continue(void)
{
	static const uint8_t op = AML_CONTINUE_OP;

	return aml_term(&op, 1, NULL, 0, NULL);
}

struct aml *aml_notify(struct aml *object, struct aml *value)
{
	return op2(AML_NOTIFY_OP, object, value);
}

struct aml *aml_increment(struct aml *target)
{
	return op1(AML_INCREMENT_OP, target);
}

struct aml *aml_decrement(struct aml *target)
{
	return op1(AML_DECREMENT_OP, target);
}

/* --- Expressions ------------------------------------------------------------------ */

struct aml *aml_lequal(struct aml *a, struct aml *b)
{
	return op2(AML_LEQUAL_OP, a, b);
}

struct aml *aml_lless(struct aml *a, struct aml *b)
{
	return op2(AML_LLESS_OP, a, b);
}

struct aml *aml_lgreater(struct aml *a, struct aml *b)
{
	return op2(AML_LGREATER_OP, a, b);
}

struct aml *aml_lnot(struct aml *a)
{
	return op1(AML_LNOT_OP, a);
}

struct aml *aml_land(struct aml *a, struct aml *b)
{
	return op2(AML_LAND_OP, a, b);
}

struct aml *aml_lor(struct aml *a, struct aml *b)
{
	return op2(AML_LOR_OP, a, b);
}

struct aml *aml_lnotequal(struct aml *a, struct aml *b)
{
	return aml_lnot(aml_lequal(a, b));
}

struct aml *aml_llessequal(struct aml *a, struct aml *b)
{
	return aml_lnot(aml_lgreater(a, b));
}

struct aml *aml_lgreaterequal(struct aml *a, struct aml *b)
{
	return aml_lnot(aml_lless(a, b));
}

struct aml *aml_and(struct aml *a, struct aml *b, struct aml *target)
{
	return op2_target(AML_AND_OP, a, b, target);
}

struct aml *aml_or(struct aml *a, struct aml *b, struct aml *target)
{
	return op2_target(AML_OR_OP, a, b, target);
}

struct aml *aml_xor(struct aml *a, struct aml *b, struct aml *target)
{
	return op2_target(AML_XOR_OP, a, b, target);
}

struct aml *aml_shiftleft(struct aml *a, struct aml *count, struct aml *target)
{
	return op2_target(AML_SHIFT_LEFT_OP, a, count, target);
}

struct aml *aml_shiftright(struct aml *a, struct aml *count, struct aml *target)
{
	return op2_target(AML_SHIFT_RIGHT_OP, a, count, target);
}

struct aml *aml_add(struct aml *a, struct aml *b, struct aml *target)
{
	return op2_target(AML_ADD_OP, a, b, target);
}

struct aml *aml_subtract(struct aml *a, struct aml *b, struct aml *target)
{
	return op2_target(AML_SUBTRACT_OP, a, b, target);
}

struct aml *aml_multiply(struct aml *a, struct aml *b, struct aml *target)
{
	return op2_target(AML_MULTIPLY_OP, a, b, target);
}

struct aml *aml_sizeof(struct aml *obj)
{
	return op1(AML_SIZE_OF_OP, obj);
}

struct aml *aml_derefof(struct aml *ref)
{
	return op1(AML_DEREF_OF_OP, ref);
}

struct aml *aml_index(struct aml *obj, struct aml *index, struct aml *target)
{
	return op2_target(AML_INDEX_OP, obj, index, target);
}

struct aml *aml_call(const char *path, unsigned int nargs, struct aml *const args[])
{
	struct aml *operands[1 + 7];
	struct aml *t;

	if (nargs > 7 || (nargs && !args)) {
		for (unsigned int i = 0; args && i < nargs; i++)
			aml_free(args[i]);
		return aml_err(-EINVAL);
	}
	operands[0] = aml_name(path);
	for (unsigned int i = 0; i < nargs; i++)
		operands[1 + i] = args[i];
	t = aml_term(NULL, 0, operands, 1 + nargs, NULL);
	return t;
}
