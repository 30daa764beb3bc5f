/* SPDX-License-Identifier: MIT */
/*
 * QMP errors: the error classes QMP clients know and a description, as a command
 * handler reports them and as the server sends them:
 *   {"error": {"class": "GenericError", "desc": "..."}, "id": ...}
 */
#ifndef VMM_QMP_ERROR_H
#define VMM_QMP_ERROR_H

#include <stdbool.h>

#include "vmm/core/compiler.h"

struct json_object;

enum qmp_error_class {
	QMP_ERROR_GENERIC,		/* "GenericError": everything else */
	QMP_ERROR_COMMAND_NOT_FOUND,	/* "CommandNotFound" */
	QMP_ERROR_DEVICE_NOT_ACTIVE,	/* "DeviceNotActive" */
	QMP_ERROR_DEVICE_NOT_FOUND,	/* "DeviceNotFound" */
	QMP_ERROR_KVM_MISSING_CAP,	/* "KVMMissingCap" */
};

#define QMP_ERROR_DESC_MAX 256

struct qmp_error {
	bool set;
	enum qmp_error_class cls;
	char desc[QMP_ERROR_DESC_MAX];	/* human-readable, truncated to fit */
};

/*
 * Records an error unless one is already recorded (the first error is the cause;
 * later ones are consequences). Returns -EINVAL so that a handler can write
 * `return qmp_error_set(err, QMP_ERROR_GENERIC, "...");`.
 */
int qmp_error_set(struct qmp_error *err, enum qmp_error_class cls, const char *fmt, ...)
	__printf(3, 4);
/* The wire name of a class ("GenericError", ...). */
const char *qmp_error_class_name(enum qmp_error_class cls);
/* Maps a wire name back; unknown names map to QMP_ERROR_GENERIC and return -ENOENT. */
int qmp_error_class_from_name(const char *name, enum qmp_error_class *cls);
/* {"class": ..., "desc": ...}, a new reference, or NULL when out of memory. */
struct json_object *qmp_error_to_json(const struct qmp_error *err);

#endif
