// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>
#include <json-c/json.h>

#include "vmm/qmp/qmp_args.h"

/* Looks the member up: 1 found (*val may be a JSON null), 0 absent, -EINVAL missing. */
static int lookup(struct json_object *args, const char *key, bool required,
		  struct json_object **val, struct qmp_error *err)
{
	if (args && json_object_is_type(args, json_type_object) &&
	    json_object_object_get_ex(args, key, val))
		return 1;
	if (required)
		return qmp_error_set(err, QMP_ERROR_GENERIC, "Parameter '%s' is missing", key);
	return 0;
}

static int expects(struct qmp_error *err, const char *key, const char *what)
{
	return qmp_error_set(err, QMP_ERROR_GENERIC, "Parameter '%s' expects %s", key, what);
}

int qmp_arg_str(struct json_object *args, const char *key, bool required, const char **out,
		struct qmp_error *err)
{
	struct json_object *val;
	int ret = lookup(args, key, required, &val, err);

	if (ret <= 0)
		return ret;
	if (!json_object_is_type(val, json_type_string))
		return expects(err, key, "string");
	*out = json_object_get_string(val);
	return 1;
}

/* json-c keeps integers above INT64_MAX as uint64; get_int64 saturates them. */
static bool above_int64(struct json_object *val)
{
	return json_object_get_int64(val) == INT64_MAX &&
	       json_object_get_uint64(val) > (uint64_t)INT64_MAX;
}

int qmp_arg_int(struct json_object *args, const char *key, bool required, int64_t *out,
		struct qmp_error *err)
{
	struct json_object *val;
	int ret = lookup(args, key, required, &val, err);

	if (ret <= 0)
		return ret;
	if (!json_object_is_type(val, json_type_int) || above_int64(val))
		return expects(err, key, "integer");
	*out = json_object_get_int64(val);
	return 1;
}

int qmp_arg_uint(struct json_object *args, const char *key, bool required, uint64_t *out,
		 struct qmp_error *err)
{
	struct json_object *val;
	int ret = lookup(args, key, required, &val, err);

	if (ret <= 0)
		return ret;
	if (!json_object_is_type(val, json_type_int) || json_object_get_int64(val) < 0)
		return expects(err, key, "uint64");
	*out = json_object_get_uint64(val);
	return 1;
}

int qmp_arg_bool(struct json_object *args, const char *key, bool required, bool *out,
		 struct qmp_error *err)
{
	struct json_object *val;
	int ret = lookup(args, key, required, &val, err);

	if (ret <= 0)
		return ret;
	if (!json_object_is_type(val, json_type_boolean))
		return expects(err, key, "boolean");
	*out = json_object_get_boolean(val);
	return 1;
}

int qmp_arg_json(struct json_object *args, const char *key, bool required, int type,
		 struct json_object **out, struct qmp_error *err)
{
	struct json_object *val;
	int ret = lookup(args, key, required, &val, err);

	if (ret <= 0)
		return ret;
	if (!json_object_is_type(val, (enum json_type)type))
		return expects(err, key, json_type_to_name((enum json_type)type));
	*out = val;
	return 1;
}

static bool allowed_key(const char *const *allowed, const char *key)
{
	for (; allowed && *allowed; allowed++)
		if (!strcmp(*allowed, key))
			return true;
	return false;
}

int qmp_args_check(struct json_object *args, const char *const *allowed, struct qmp_error *err)
{
	if (!args)
		return 0;
	if (!json_object_is_type(args, json_type_object))
		return qmp_error_set(err, QMP_ERROR_GENERIC,
				     "QMP input member 'arguments' must be an object");
	json_object_object_foreach(args, key, val) {
		(void)val;
		if (!allowed_key(allowed, key))
			return qmp_error_set(err, QMP_ERROR_GENERIC, "Parameter '%s' is unexpected",
					     key);
	}
	return 0;
}
