// SPDX-License-Identifier: MIT
/*
 * AML encoder core: nodes, PkgLength, NameStrings, data objects and the named
 * containers (Scope, Device, Method). Operators are in aml_ops.c, resource
 * descriptors in aml_resource.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "acpi/aml/aml_internal.h"
#include "acpi/aml/guid.h"

/* Returned when a node cannot be allocated; never written or freed. */
static const struct aml aml_oom = { .kind = AML_K_ERROR, .err = -ENOMEM };

bool aml_is_static(const struct aml *a)
{
	return a == &aml_oom;
}

struct aml *aml_node_new(enum aml_kind kind)
{
	struct aml *a = calloc(1, sizeof(*a));

	if (!a)
		return (struct aml *)&aml_oom;
	a->kind = kind;
	acpi_buf_init(&a->body);
	return a;
}

struct aml *aml_err(int err)
{
	struct aml *a = aml_node_new(AML_K_ERROR);

	if (!aml_is_static(a))
		a->err = err < 0 ? err : -EINVAL;
	return a;
}

void aml_free(struct aml *a)
{
	if (!a || aml_is_static(a))
		return;
	acpi_buf_fini(&a->body);
	free(a);
}

int aml_error(const struct aml *a)
{
	if (!a)
		return -EINVAL;
	if (a->err)
		return a->err;
	return acpi_buf_error(&a->body);
}

/* Records err in a (first error wins) unless a is the static node. */
static void node_fail(struct aml *a, int err)
{
	if (!aml_is_static(a) && !a->err)
		a->err = err;
}

/* --- Variable-length encodings ------------------------------------------- */

static int varlen_encode(uint32_t value, uint8_t out[4])
{
	int n;

	if (value < 0x40) {
		out[0] = (uint8_t)value;
		return 1;
	}
	if (value < (1u << 12))
		n = 2;
	else if (value < (1u << 20))
		n = 3;
	else if (value < (1u << 28))
		n = 4;
	else
		return -E2BIG;
	/* Lead byte: bits 7-6 = number of following bytes, bits 3-0 = low nibble. */
	out[0] = (uint8_t)((n - 1) << 6 | (value & 0xF));
	for (int i = 1; i < n; i++)
		out[i] = (uint8_t)(value >> (4 + 8 * (i - 1)));
	return n;
}

int aml_varlen_encode(uint32_t value, uint8_t out[4])
{
	return varlen_encode(value, out);
}

int aml_pkglen_encode(size_t body_len, uint8_t out[4])
{
	/* The PkgLength counts its own bytes: pick the smallest width that fits. */
	for (size_t n = 1; n <= 4; n++) {
		size_t limit = n == 1 ? 0x3F : ((size_t)1 << (4 + 8 * (n - 1))) - 1;

		if (body_len <= limit - n)
			return varlen_encode((uint32_t)(body_len + n), out);
	}
	return -E2BIG;
}

/* --- NameString ------------------------------------------------------------ */

#define AML_MAX_SEGS 255

static bool is_lead_char(char c)
{
	return (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_name_char(char c)
{
	return is_lead_char(c) || (c >= '0' && c <= '9');
}

int aml_namestring_encode(struct acpi_buf *out, const char *path)
{
	struct acpi_buf segs = ACPI_BUF_INIT;
	const char *p = path;
	unsigned int nsegs = 0;
	bool prefixed = false;
	int ret;

	if (!path || !*path)
		return -EINVAL;
	if (*p == '\\') {
		acpi_buf_append_u8(out, AML_ROOT_CHAR);
		prefixed = true;
		p++;
	} else {
		while (*p == '^') {
			acpi_buf_append_u8(out, AML_PARENT_PREFIX);
			prefixed = true;
			p++;
		}
	}
	while (*p) {
		char seg[4] = { '_', '_', '_', '_' };
		unsigned int n = 0;

		if (nsegs && *p++ != '.') {
			ret = -EINVAL;
			goto out;
		}
		while (*p && *p != '.') {
			if (n == 4 || !(n ? is_name_char(*p) : is_lead_char(*p))) {
				ret = -EINVAL;
				goto out;
			}
			seg[n++] = *p++;
		}
		if (!n || ++nsegs > AML_MAX_SEGS) {
			ret = -EINVAL;
			goto out;
		}
		acpi_buf_append(&segs, seg, sizeof(seg));
	}
	if (nsegs == 0 && !prefixed) {
		ret = -EINVAL;
		goto out;
	}
	if (nsegs == 0) {
		acpi_buf_append_u8(out, 0x00); /* NullName */
	} else if (nsegs == 2) {
		acpi_buf_append_u8(out, AML_DUAL_NAME_PREFIX);
	} else if (nsegs > 2) {
		acpi_buf_append_u8(out, AML_MULTI_NAME_PREFIX);
		acpi_buf_append_u8(out, (uint8_t)nsegs);
	}
	ret = acpi_buf_error(&segs);
	if (!ret) {
		acpi_buf_append(out, segs.data, segs.len);
		ret = acpi_buf_error(out);
	}
out:
	acpi_buf_fini(&segs);
	return ret;
}

/* --- Emission and the tree --------------------------------------------------- */

static void int_encode(struct acpi_buf *b, uint64_t v)
{
	if (v == 0) {
		acpi_buf_append_u8(b, AML_ZERO_OP);
	} else if (v == 1) {
		acpi_buf_append_u8(b, AML_ONE_OP);
	} else if (v == UINT64_MAX) {
		acpi_buf_append_u8(b, AML_ONES_OP);
	} else if (v <= UINT8_MAX) {
		acpi_buf_append_u8(b, AML_BYTE_PREFIX);
		acpi_buf_append_u8(b, (uint8_t)v);
	} else if (v <= UINT16_MAX) {
		acpi_buf_append_u8(b, AML_WORD_PREFIX);
		acpi_buf_append_u16(b, (uint16_t)v);
	} else if (v <= UINT32_MAX) {
		acpi_buf_append_u8(b, AML_DWORD_PREFIX);
		acpi_buf_append_u32(b, (uint32_t)v);
	} else {
		acpi_buf_append_u8(b, AML_QWORD_PREFIX);
		acpi_buf_append_u64(b, v);
	}
}

static void emit_pkglen(struct acpi_buf *out, size_t body_len)
{
	uint8_t pl[4];
	int n = aml_pkglen_encode(body_len, pl);

	if (n < 0)
		acpi_buf_set_error(out, n);
	else
		acpi_buf_append(out, pl, (size_t)n);
}

/* Buffer and ResourceTemplate: BufferOp PkgLength BufferSize bytes [EndTag]. */
static void emit_buffer(const struct aml *a, struct acpi_buf *out, bool end_tag)
{
	static const uint8_t end[2] = { 0x79, 0x00 }; /* EndTag, checksum 0 = not checked */
	struct acpi_buf size = ACPI_BUF_INIT;
	size_t data_len = a->body.len + (end_tag ? sizeof(end) : 0);

	int_encode(&size, data_len);
	if (acpi_buf_error(&size)) {
		acpi_buf_set_error(out, acpi_buf_error(&size));
		goto out;
	}
	if (data_len > ACPI_BUF_MAX) {
		acpi_buf_set_error(out, -E2BIG);
		goto out;
	}
	acpi_buf_append_u8(out, AML_BUFFER_OP);
	emit_pkglen(out, size.len + data_len);
	acpi_buf_append(out, size.data, size.len);
	acpi_buf_append(out, a->body.data, a->body.len);
	if (end_tag)
		acpi_buf_append(out, end, sizeof(end));
out:
	acpi_buf_fini(&size);
}

int aml_emit(const struct aml *a, struct acpi_buf *out)
{
	int err = aml_error(a);

	if (err) {
		acpi_buf_set_error(out, err);
		return err;
	}
	switch (a->kind) {
	case AML_K_TERM:
	case AML_K_BLOCK:
	case AML_K_RESOURCE:
		acpi_buf_append(out, a->body.data, a->body.len);
		break;
	case AML_K_PKG:
	case AML_K_FIELD:
		acpi_buf_append(out, a->op, a->op_len);
		emit_pkglen(out, a->body.len);
		acpi_buf_append(out, a->body.data, a->body.len);
		break;
	case AML_K_PACKAGE:
		acpi_buf_append_u8(out, AML_PACKAGE_OP);
		emit_pkglen(out, 1 + a->body.len);
		acpi_buf_append_u8(out, (uint8_t)a->count);
		acpi_buf_append(out, a->body.data, a->body.len);
		break;
	case AML_K_BUFFER:
		emit_buffer(a, out, false);
		break;
	case AML_K_RESTEMPLATE:
		emit_buffer(a, out, true);
		break;
	case AML_K_ERROR:
	default:
		acpi_buf_set_error(out, -EINVAL);
		break;
	}
	return acpi_buf_error(out);
}

static bool is_data_kind(enum aml_kind k)
{
	return k == AML_K_TERM || k == AML_K_PACKAGE || k == AML_K_BUFFER ||
	       k == AML_K_RESTEMPLATE;
}

/* Whether `parent` may contain `child`. */
static int check_child(const struct aml *parent, const struct aml *child)
{
	switch (parent->kind) {
	case AML_K_BLOCK:
	case AML_K_PKG:
		if (child->kind == AML_K_RESOURCE)
			return -EINVAL;
		if (child->is_else && !parent->last_is_if)
			return -EINVAL;
		return 0;
	case AML_K_PACKAGE:
		if (!is_data_kind(child->kind))
			return -EINVAL;
		return parent->count >= 255 ? -E2BIG : 0;
	case AML_K_RESTEMPLATE:
		return child->kind == AML_K_RESOURCE ? 0 : -EINVAL;
	default:
		/* Leaves, Buffers and Fields (use aml_field_*) take no children. */
		return -EINVAL;
	}
}

void aml_append(struct aml *parent, struct aml *child)
{
	int err;

	if (!parent || aml_is_static(parent) || parent->err)
		goto out;
	err = child ? aml_error(child) : -EINVAL;
	if (!err)
		err = check_child(parent, child);
	if (!err)
		err = aml_emit(child, &parent->body);
	if (err) {
		node_fail(parent, err);
		goto out;
	}
	parent->last_is_if = child->is_if;
	if (parent->kind == AML_K_PACKAGE)
		parent->count++;
out:
	aml_free(child);
}

struct aml *aml_term(const uint8_t *op, size_t op_len, struct aml *const *operands, size_t n,
		     const bool *nullable)
{
	struct aml *t = NULL;
	int err = 0;

	for (size_t i = 0; i < n && !err; i++) {
		if (!operands[i])
			err = nullable && nullable[i] ? 0 : -EINVAL;
		else if (operands[i]->err)
			err = operands[i]->err;
		else if (!is_data_kind(operands[i]->kind))
			err = -EINVAL;
	}
	if (!err) {
		t = aml_node_new(AML_K_TERM);
		err = t->err;
	}
	if (!err) {
		acpi_buf_append(&t->body, op, op_len);
		for (size_t i = 0; i < n && !err; i++) {
			if (operands[i])
				err = aml_emit(operands[i], &t->body);
			else
				acpi_buf_append_u8(&t->body, 0x00); /* NullName: no target */
		}
		if (!err)
			err = acpi_buf_error(&t->body);
	}
	for (size_t i = 0; i < n; i++)
		aml_free(operands[i]);
	if (err) {
		aml_free(t);
		return aml_err(err);
	}
	return t;
}

struct aml *aml_raw(const void *bytes, size_t len)
{
	return aml_term(bytes, len, NULL, 0, NULL);
}

/* --- Data objects ------------------------------------------------------------ */

struct aml *aml_block(void)
{
	return aml_node_new(AML_K_BLOCK);
}

struct aml *aml_zero(void)
{
	static const uint8_t op = AML_ZERO_OP;

	return aml_raw(&op, 1);
}

struct aml *aml_one(void)
{
	static const uint8_t op = AML_ONE_OP;

	return aml_raw(&op, 1);
}

struct aml *aml_ones(void)
{
	static const uint8_t op = AML_ONES_OP;

	return aml_raw(&op, 1);
}

struct aml *aml_int(uint64_t v)
{
	struct aml *a = aml_node_new(AML_K_TERM);

	if (aml_is_static(a))
		return a;
	int_encode(&a->body, v);
	return a;
}

static struct aml *prefixed_int(uint8_t prefix, uint64_t v, unsigned int nbytes)
{
	struct aml *a = aml_node_new(AML_K_TERM);

	if (aml_is_static(a))
		return a;
	acpi_buf_append_u8(&a->body, prefix);
	acpi_buf_append_le(&a->body, v, nbytes);
	return a;
}

struct aml *aml_byte(uint8_t v)
{
	return prefixed_int(AML_BYTE_PREFIX, v, 1);
}

struct aml *aml_word(uint16_t v)
{
	return prefixed_int(AML_WORD_PREFIX, v, 2);
}

struct aml *aml_dword(uint32_t v)
{
	return prefixed_int(AML_DWORD_PREFIX, v, 4);
}

struct aml *aml_qword(uint64_t v)
{
	return prefixed_int(AML_QWORD_PREFIX, v, 8);
}

struct aml *aml_string(const char *s)
{
	struct aml *a;

	if (!s)
		return aml_err(-EINVAL);
	for (const char *p = s; *p; p++) {
		if ((unsigned char)*p > 0x7F)
			return aml_err(-EINVAL);
	}
	a = aml_node_new(AML_K_TERM);
	if (aml_is_static(a))
		return a;
	acpi_buf_append_u8(&a->body, AML_STRING_PREFIX);
	acpi_buf_append(&a->body, s, strlen(s) + 1);
	return a;
}

struct aml *aml_buffer(const void *data, size_t len)
{
	struct aml *a = aml_node_new(AML_K_BUFFER);

	if (aml_is_static(a))
		return a;
	if (data)
		acpi_buf_append(&a->body, data, len);
	else
		acpi_buf_append_zero(&a->body, len);
	return a;
}

struct aml *aml_package(void)
{
	return aml_node_new(AML_K_PACKAGE);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

struct aml *aml_eisaid(const char *id)
{
	uint32_t v = 0;

	if (!id || strlen(id) != 7)
		return aml_err(-EINVAL);
	/* Three letters, 5 bits each ('A' = 1), then four hex digits; stored big-endian. */
	for (int i = 0; i < 3; i++) {
		if (id[i] < 'A' || id[i] > 'Z')
			return aml_err(-EINVAL);
		v |= (uint32_t)(id[i] - 0x40) << (26 - 5 * i);
	}
	for (int i = 3; i < 7; i++) {
		int d = hex_digit(id[i]);

		if (d < 0)
			return aml_err(-EINVAL);
		v |= (uint32_t)d << (4 * (6 - i));
	}
	return aml_dword(__builtin_bswap32(v));
}

struct aml *aml_touuid(const char *uuid)
{
	uint8_t bytes[ACPI_GUID_SIZE];
	int ret = acpi_guid_parse(uuid, bytes);

	if (ret)
		return aml_err(ret);
	return aml_buffer(bytes, sizeof(bytes));
}

/* --- Names and named containers ------------------------------------------------ */

struct aml *aml_name(const char *path)
{
	struct aml *a = aml_node_new(AML_K_TERM);
	int ret;

	if (aml_is_static(a))
		return a;
	ret = aml_namestring_encode(&a->body, path);
	if (ret) {
		aml_free(a);
		return aml_err(ret);
	}
	return a;
}

struct aml *aml_name_decl(const char *name, struct aml *value)
{
	static const uint8_t op = AML_NAME_OP;
	struct aml *operands[2] = { aml_name(name), value };

	return aml_term(&op, 1, operands, 2, NULL);
}

/* A PkgLength container whose body starts with the NameString `path`. */
static struct aml *named_pkg(const uint8_t *op, uint8_t op_len, const char *path)
{
	struct aml *a = aml_node_new(AML_K_PKG);
	int ret;

	if (aml_is_static(a))
		return a;
	memcpy(a->op, op, op_len);
	a->op_len = op_len;
	ret = aml_namestring_encode(&a->body, path);
	if (ret) {
		aml_free(a);
		return aml_err(ret);
	}
	return a;
}

struct aml *aml_scope(const char *path)
{
	static const uint8_t op[] = { AML_SCOPE_OP };

	return named_pkg(op, sizeof(op), path);
}

struct aml *aml_device(const char *path)
{
	static const uint8_t op[] = { AML_EXT_OP_PREFIX, AML_EXT_DEVICE_OP };

	return named_pkg(op, sizeof(op), path);
}

struct aml *aml_method(const char *path, unsigned int nargs, enum aml_serialize ser)
{
	static const uint8_t op[] = { AML_METHOD_OP };
	struct aml *a;

	if (nargs > 7 || (ser != AML_NOT_SERIALIZED && ser != AML_SERIALIZED))
		return aml_err(-EINVAL);
	a = named_pkg(op, sizeof(op), path);
	if (aml_error(a))
		return a;
	/* MethodFlags: ArgCount in bits 0-2, SerializeFlag bit 3, SyncLevel 0. */
	acpi_buf_append_u8(&a->body, (uint8_t)(nargs | (ser == AML_SERIALIZED ? 0x08 : 0)));
	return a;
}

struct aml *aml_local(unsigned int n)
{
	uint8_t op = (uint8_t)(AML_LOCAL0_OP + n);

	if (n > 7)
		return aml_err(-EINVAL);
	return aml_raw(&op, 1);
}

struct aml *aml_arg(unsigned int n)
{
	uint8_t op = (uint8_t)(AML_ARG0_OP + n);

	if (n > 6)
		return aml_err(-EINVAL);
	return aml_raw(&op, 1);
}
