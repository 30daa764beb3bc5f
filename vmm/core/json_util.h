/* SPDX-License-Identifier: MIT */
/* Building json-c objects member by member, with out-of-memory checks. */
#ifndef VMM_JSON_UTIL_H
#define VMM_JSON_UTIL_H

#include <stdint.h>

#include "vmm/core/compiler.h"

struct json_object;

/* Each adds one member to `obj` and returns 0, or -ENOMEM. */
int json_add_int(struct json_object *obj, const char *key, int64_t val) __must_check;
int json_add_str(struct json_object *obj, const char *key, const char *val) __must_check;
/* Takes over the reference to `val`, also on failure; a NULL `val` fails (it means
 * its allocation failed), so calls can be chained. */
int json_add_obj(struct json_object *obj, const char *key, struct json_object *val) __must_check;

#endif
