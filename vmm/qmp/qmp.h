/* SPDX-License-Identifier: MIT */
/*
 * QMP server: the VM's control API, compatible with QEMU's QMP protocol
 * (docs/interop/qmp-spec.rst), on a UNIX stream socket served by the control
 * thread's event loop.
 *
 * A client connects and receives the greeting
 *   {"QMP": {"version": {"qemu": {"micro": 0, "minor": 0, "major": 9}, "package": "vmm"},
 *            "capabilities": []}}
 * then must send {"execute": "qmp_capabilities"} before any other command.
 * Commands are {"execute": NAME, "arguments": {...}, "id": ANY}; replies are
 * {"return": ..., "id": ...} or {"error": {"class": ..., "desc": ...}, "id": ...},
 * each followed by "\r\n". Commands of one client run one at a time, in order, and
 * are answered in order; events go to every client past negotiation.
 *
 * Built-in commands: qmp_capabilities, query-commands, query-version.
 *
 * Everything here runs on the control thread, including every command handler and
 * qmp_request_complete(); other threads hand their work over to it first.
 *
 * Example:
 *
 *	static const char *const cpu_add_args[] = { "core-id", NULL };
 *
 *	static int qmp_cpu_add(void *opaque, struct json_object *args,
 *			       struct json_object **ret, struct qmp_error *err)
 *	{
 *		struct vm *vm = opaque;
 *		int64_t core;
 *
 *		if (qmp_arg_int(args, "core-id", true, &core, err) < 0)
 *			return -EINVAL;
 *		if (core < 0 || core >= vm->max_cpus)
 *			return qmp_error_set(err, QMP_ERROR_GENERIC, "Invalid core-id %" PRId64, core);
 *		return vm_cpu_add(vm, core);	// -errno becomes a GenericError
 *	}
 *
 *	static const struct qmp_command vm_commands[] = {
 *		{ .name = "cpu-add", .fn = qmp_cpu_add, .args = cpu_add_args },
 *		{ .name = "device_del", .async_fn = qmp_device_del, .args = device_del_args },
 *	};
 *
 *	ret = qmp_server_create(loop, path, vm_commands, ARRAY_SIZE(vm_commands), vm, &srv);
 */
#ifndef VMM_QMP_H
#define VMM_QMP_H

#include <stddef.h>

#include "vmm/core/compiler.h"
#include "vmm/qmp/qmp_args.h"
#include "vmm/qmp/qmp_error.h"

struct event_loop;
struct json_object;
struct qmp_server;
/* A command whose answer comes later; see qmp_async_command_fn. */
struct qmp_request;

/*
 * Synchronous handler. `args` is the command's "arguments" object (an empty object
 * when the client sent none), borrowed for the duration of the call. On success
 * return 0 and optionally set *ret to a new reference to the return value (NULL
 * answers {}). On failure return a negative errno and fill *err (see
 * qmp_error_set()); without *err, the errno's text is sent as a GenericError.
 */
typedef int (*qmp_command_fn)(void *opaque, struct json_object *args, struct json_object **ret,
			      struct qmp_error *err);

/*
 * Deferred handler. It owns `req` and must eventually pass it to
 * qmp_request_complete() exactly once, from this call or any later point on the
 * control thread. `args` is borrowed for this call only (json_object_get() it to
 * keep it). The client's next commands wait until then.
 */
typedef void (*qmp_async_command_fn)(void *opaque, struct json_object *args,
				     struct qmp_request *req);

struct qmp_command {
	const char *name;		/* must outlive the server */
	qmp_command_fn fn;		/* exactly one of fn and async_fn */
	qmp_async_command_fn async_fn;
	/* Accepted argument names, NULL-terminated, checked before the handler runs
	 * ("Parameter 'x' is unexpected"). NULL: the handler checks for itself. */
	const char *const *args;
};

/* An empty `args` list: the command takes no arguments. */
extern const char *const qmp_no_args[];

struct qmp_server_config {
	const char *package;		/* greeting's "package"; NULL: "vmm" */
	int version_major;		/* greeting's "qemu" version; all 0: 9.0.0 */
	int version_minor;
	int version_micro;
	unsigned int max_clients;	/* 0: QMP_DEFAULT_MAX_CLIENTS */
	size_t max_input;		/* largest command in bytes; 0: QMP_DEFAULT_MAX_INPUT */
	size_t max_output;		/* unsent bytes before a client that does not read is
					 * dropped; 0: QMP_DEFAULT_MAX_OUTPUT */
};

#define QMP_DEFAULT_MAX_CLIENTS 16
#define QMP_DEFAULT_MAX_INPUT (1024 * 1024)
#define QMP_DEFAULT_MAX_OUTPUT (4 * 1024 * 1024)

/*
 * Listens on socket_path (mode 0600) and serves clients from `loop`. The command
 * table is copied; names clashing with each other or with a built-in are refused
 * with -EEXIST. A stale socket file is replaced; a path a live server answers on is
 * refused with -EADDRINUSE. `opaque` is passed to every handler.
 */
int qmp_server_create(struct event_loop *loop, const char *socket_path,
		      const struct qmp_command *cmds, size_t n, void *opaque,
		      struct qmp_server **out) __must_check;
/* Same, with settings; cfg may be NULL for the defaults. */
int qmp_server_create_ex(struct event_loop *loop, const char *socket_path,
			 const struct qmp_server_config *cfg, const struct qmp_command *cmds,
			 size_t n, void *opaque, struct qmp_server **out) __must_check;
/*
 * Disconnects every client, removes the socket file and frees the server. Requests
 * still deferred stay valid: completing them later just frees them. Not from inside
 * a handler.
 */
void qmp_server_destroy(struct qmp_server *srv);

/*
 * Broadcasts {"event": name, "data": data, "timestamp": {"seconds": S,
 * "microseconds": US}} to every client past negotiation. Takes over the reference
 * to `data` (an object, or NULL to leave "data" out), also on failure. Returns the
 * number of clients the event was queued for, or -errno.
 */
int qmp_server_emit_event(struct qmp_server *srv, const char *name,
			  struct json_object *data) __must_check;

/* Connected clients, negotiated or not. */
unsigned int qmp_server_client_count(const struct qmp_server *srv);

/*
 * Answers a deferred command and frees `req`. Takes over the reference to `ret`
 * (any JSON value; NULL answers {}). With err set (err && err->set) the answer is
 * that error and `ret` is dropped. When the client has disconnected or the server
 * is gone, the answer is discarded.
 */
void qmp_request_complete(struct qmp_request *req, struct json_object *ret,
			  const struct qmp_error *err);
/* True once nobody is waiting for the answer any more (client or server gone). */
bool qmp_request_abandoned(const struct qmp_request *req);
/* The command's name, for logs. */
const char *qmp_request_command(const struct qmp_request *req);

#endif
