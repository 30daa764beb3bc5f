// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>

#include "vmm/core/json_util.h"
#include "vmm/qmp/qmp_error.h"

static const char *const class_names[] = {
	[QMP_ERROR_GENERIC] = "GenericError",
	[QMP_ERROR_COMMAND_NOT_FOUND] = "CommandNotFound",
	[QMP_ERROR_DEVICE_NOT_ACTIVE] = "DeviceNotActive",
	[QMP_ERROR_DEVICE_NOT_FOUND] = "DeviceNotFound",
	[QMP_ERROR_KVM_MISSING_CAP] = "KVMMissingCap",
};

int qmp_error_set(struct qmp_error *err, enum qmp_error_class cls, const char *fmt, ...)
{
	va_list ap;

	if (err->set)
		return -EINVAL;
	err->set = true;
	err->cls = cls;
	va_start(ap, fmt);
	vsnprintf(err->desc, sizeof(err->desc), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

const char *qmp_error_class_name(enum qmp_error_class cls)
{
	if ((size_t)cls >= ARRAY_SIZE(class_names) || !class_names[cls])
		return class_names[QMP_ERROR_GENERIC];
	return class_names[cls];
}

int qmp_error_class_from_name(const char *name, enum qmp_error_class *cls)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(class_names); i++) {
		if (name && class_names[i] && !strcmp(name, class_names[i])) {
			*cls = (enum qmp_error_class)i;
			return 0;
		}
	}
	*cls = QMP_ERROR_GENERIC;
	return -ENOENT;
}

struct json_object *qmp_error_to_json(const struct qmp_error *err)
{
	struct json_object *obj = json_object_new_object();

	if (json_add_str(obj, "class", qmp_error_class_name(err->cls)) < 0 ||
	    json_add_str(obj, "desc", err->desc) < 0) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}
