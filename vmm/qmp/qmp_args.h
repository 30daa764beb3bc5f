/* SPDX-License-Identifier: MIT */
/*
 * Typed access to the "arguments" object of a QMP command, reporting missing,
 * mistyped and unexpected arguments with QEMU's wording:
 *   Parameter 'id' is missing
 *   Parameter 'core-id' expects integer
 *   Parameter 'foo' is unexpected
 */
#ifndef VMM_QMP_ARGS_H
#define VMM_QMP_ARGS_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/core/compiler.h"
#include "vmm/qmp/qmp_error.h"

struct json_object;

/*
 * Each getter looks up `key` in `args` (an object, or NULL for none) and returns
 *   1        found and well-typed: *out is set,
 *   0        absent and optional: *out is left alone (preset the default),
 *   -EINVAL  absent but required, or of the wrong type: *err is set.
 * Strings point into `args` and live as long as it does.
 */
int qmp_arg_str(struct json_object *args, const char *key, bool required, const char **out,
		struct qmp_error *err) __must_check;
/* A JSON integer in int64 range; 1.0 is a number, not an integer. */
int qmp_arg_int(struct json_object *args, const char *key, bool required, int64_t *out,
		struct qmp_error *err) __must_check;
/* A non-negative JSON integer in uint64 range. */
int qmp_arg_uint(struct json_object *args, const char *key, bool required, uint64_t *out,
		 struct qmp_error *err) __must_check;
int qmp_arg_bool(struct json_object *args, const char *key, bool required, bool *out,
		 struct qmp_error *err) __must_check;
/* A member of JSON type `type` (enum json_type: json_type_object, _array, ...), borrowed. */
int qmp_arg_json(struct json_object *args, const char *key, bool required, int type,
		 struct json_object **out, struct qmp_error *err) __must_check;

/*
 * Rejects any member of `args` not named in `allowed` (NULL-terminated; NULL or an
 * empty list: no arguments at all). Returns 0 or -EINVAL with *err set.
 */
int qmp_args_check(struct json_object *args, const char *const *allowed,
		   struct qmp_error *err) __must_check;

#endif
