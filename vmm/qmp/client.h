/* SPDX-License-Identifier: MIT */
/*
 * Synchronous QMP client, for the command line tool and for tests: connects,
 * negotiates, runs commands one at a time and queues the events that arrive
 * meanwhile. Speaks to QEMU as well as to our own server. Not thread-safe: one
 * thread per client.
 *
 * Timeouts are in milliseconds; a negative timeout waits forever, 0 does not wait.
 */
#ifndef VMM_QMP_CLIENT_H
#define VMM_QMP_CLIENT_H

#include "vmm/core/compiler.h"

struct json_object;
struct qmp_client;

/* Connects to the UNIX socket at `path`, reads the greeting and leaves the
 * capabilities negotiation mode. */
int qmp_client_connect(const char *path, int timeout_ms, struct qmp_client **out) __must_check;
void qmp_client_close(struct qmp_client *c);

/* The server's greeting ({"QMP": {...}}), borrowed. */
struct json_object *qmp_client_greeting(const struct qmp_client *c);

/*
 * Runs `cmd` with `args` (an object, borrowed; NULL for none) and waits for the
 * answer. Returns
 *   0            success: *ret, when ret is not NULL, is a new reference to "return",
 *   -EREMOTEIO   the server answered an error: *errdesc, when errdesc is not NULL, is
 *                its malloc'ed "desc"; qmp_client_error_class() tells its class,
 *   -ETIMEDOUT   no answer in time (a late answer is recognised by its id and skipped),
 *   -ECONNRESET  the server closed the connection,
 *   -EPROTO, ... the connection is unusable.
 * After a connection error, later calls fail with -ENOTCONN.
 */
int qmp_client_execute(struct qmp_client *c, const char *cmd, struct json_object *args,
		       int timeout_ms, struct json_object **ret, char **errdesc) __must_check;
/* The "class" of the last error answer ("GenericError", ...), or "" before any. */
const char *qmp_client_error_class(const struct qmp_client *c);

/*
 * Takes the oldest event received so far, waiting up to timeout_ms for one:
 * *event is a new reference to {"event": ..., "data": ..., "timestamp": ...}.
 * Returns 0, -ETIMEDOUT, or a connection error as above.
 */
int qmp_client_next_event(struct qmp_client *c, int timeout_ms,
			  struct json_object **event) __must_check;
/* Same, for the oldest event called `name`; other events stay queued. */
int qmp_client_wait_event(struct qmp_client *c, const char *name, int timeout_ms,
			  struct json_object **event) __must_check;

#endif
