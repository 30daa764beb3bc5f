// SPDX-License-Identifier: MIT
/* Argument helpers and errors, without sockets. */
#include <errno.h>
#include <string.h>
#include <criterion/criterion.h>
#include <json-c/json.h>

#include "vmm/qmp/qmp_args.h"

TestSuite(qmp_args, .timeout = 30);

static struct json_object *args;

static void parse(const char *json)
{
	args = json_tokener_parse(json);
	cr_assert_not_null(args);
}

Test(qmp_args, present_optional_and_missing)
{
	struct qmp_error err = { 0 };
	const char *s = "default";
	int64_t i = 5;
	uint64_t u = 6;
	bool b = true;

	parse("{\"s\": \"str\", \"i\": -3, \"u\": 18446744073709551615, \"b\": false}");
	cr_assert_eq(qmp_arg_str(args, "s", true, &s, &err), 1);
	cr_assert_str_eq(s, "str");
	cr_assert_eq(qmp_arg_int(args, "i", true, &i, &err), 1);
	cr_assert_eq(i, -3);
	cr_assert_eq(qmp_arg_uint(args, "u", true, &u, &err), 1);
	cr_assert_eq(u, UINT64_MAX);
	cr_assert_eq(qmp_arg_bool(args, "b", true, &b, &err), 1);
	cr_assert_not(b);
	cr_assert_not(err.set);

	/* Absent and optional: 0, the default stays. */
	i = 5;
	cr_assert_eq(qmp_arg_int(args, "nope", false, &i, &err), 0);
	cr_assert_eq(i, 5);
	cr_assert_eq(qmp_arg_int(NULL, "nope", false, &i, &err), 0);
	cr_assert_not(err.set);

	cr_assert_eq(qmp_arg_int(args, "core-id", true, &i, &err), -EINVAL);
	cr_assert(err.set);
	cr_assert_eq(err.cls, QMP_ERROR_GENERIC);
	cr_assert_str_eq(err.desc, "Parameter 'core-id' is missing");
	json_object_put(args);
}

Test(qmp_args, wrong_types)
{
	static const struct {
		const char *key, *want;
		int kind;
	} cases[] = {
		{ "s", "Parameter 's' expects integer", 'i' },
		{ "d", "Parameter 'd' expects integer", 'i' },
		{ "big", "Parameter 'big' expects integer", 'i' },
		{ "neg", "Parameter 'neg' expects uint64", 'u' },
		{ "d", "Parameter 'd' expects uint64", 'u' },
		{ "i", "Parameter 'i' expects string", 's' },
		{ "n", "Parameter 'n' expects string", 's' },
		{ "i", "Parameter 'i' expects boolean", 'b' },
		{ "s", "Parameter 's' expects boolean", 'b' },
		{ "i", "Parameter 'i' expects object", 'o' },
		{ "s", "Parameter 's' expects array", 'a' },
	};
	size_t k;

	parse("{\"s\": \"1\", \"d\": 1.0, \"big\": 9223372036854775808, \"neg\": -1, \"i\": 1,"
	      " \"n\": null}");
	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct qmp_error err = { 0 };
		struct json_object *o;
		const char *s;
		int64_t i;
		uint64_t u;
		bool b;
		int ret = 0;

		switch (cases[k].kind) {
		case 'i':
			ret = qmp_arg_int(args, cases[k].key, true, &i, &err);
			break;
		case 'u':
			ret = qmp_arg_uint(args, cases[k].key, false, &u, &err);
			break;
		case 's':
			ret = qmp_arg_str(args, cases[k].key, false, &s, &err);
			break;
		case 'b':
			ret = qmp_arg_bool(args, cases[k].key, false, &b, &err);
			break;
		case 'o':
			ret = qmp_arg_json(args, cases[k].key, false, json_type_object, &o, &err);
			break;
		case 'a':
			ret = qmp_arg_json(args, cases[k].key, false, json_type_array, &o, &err);
			break;
		}
		cr_assert_eq(ret, -EINVAL, "case %zu", k);
		cr_assert_str_eq(err.desc, cases[k].want);
	}
	json_object_put(args);
}

Test(qmp_args, unexpected_arguments)
{
	static const char *const allowed[] = { "id", "driver", NULL };
	static const char *const none[] = { NULL };
	struct qmp_error err = { 0 };

	parse("{\"id\": \"x\", \"driver\": \"y\"}");
	cr_assert_eq(qmp_args_check(args, allowed, &err), 0);
	cr_assert_eq(qmp_args_check(NULL, none, &err), 0);
	cr_assert_eq(qmp_args_check(args, none, &err), -EINVAL);
	cr_assert_str_eq(err.desc, "Parameter 'id' is unexpected");
	json_object_put(args);
}

Test(qmp_args, errors)
{
	struct qmp_error err = { 0 };
	enum qmp_error_class cls;
	struct json_object *obj;

	cr_assert_eq(qmp_error_set(&err, QMP_ERROR_KVM_MISSING_CAP, "no %s", "cap"), -EINVAL);
	/* The first error stays: it is the cause. */
	qmp_error_set(&err, QMP_ERROR_GENERIC, "later");
	cr_assert_eq(err.cls, QMP_ERROR_KVM_MISSING_CAP);
	cr_assert_str_eq(err.desc, "no cap");
	obj = qmp_error_to_json(&err);
	cr_assert_str_eq(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN),
			 "{\"class\":\"KVMMissingCap\",\"desc\":\"no cap\"}");
	json_object_put(obj);

	cr_assert_str_eq(qmp_error_class_name(QMP_ERROR_COMMAND_NOT_FOUND), "CommandNotFound");
	cr_assert_str_eq(qmp_error_class_name(QMP_ERROR_DEVICE_NOT_ACTIVE), "DeviceNotActive");
	cr_assert_eq(qmp_error_class_from_name("DeviceNotFound", &cls), 0);
	cr_assert_eq(cls, QMP_ERROR_DEVICE_NOT_FOUND);
	cr_assert_eq(qmp_error_class_from_name("Whatever", &cls), -ENOENT);
	cr_assert_eq(cls, QMP_ERROR_GENERIC);

	/* Long descriptions are cut, not overflowed. */
	memset(&err, 0, sizeof(err));
	qmp_error_set(&err, QMP_ERROR_GENERIC, "%0400d", 1);
	cr_assert_eq(strlen(err.desc), QMP_ERROR_DESC_MAX - 1);
}
