// SPDX-License-Identifier: MIT
#include <errno.h>
#include <json-c/json.h>

#include "vmm/core/json_util.h"

int json_add_obj(struct json_object *obj, const char *key, struct json_object *val)
{
	if (!obj || !val || json_object_object_add(obj, key, val) < 0) {
		json_object_put(val);
		return -ENOMEM;
	}
	return 0;
}

int json_add_int(struct json_object *obj, const char *key, int64_t val)
{
	return json_add_obj(obj, key, json_object_new_int64(val));
}

int json_add_str(struct json_object *obj, const char *key, const char *val)
{
	return json_add_obj(obj, key, json_object_new_string(val));
}
