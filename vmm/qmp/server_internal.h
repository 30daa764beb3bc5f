/* SPDX-License-Identifier: MIT */
/*
 * Inside the QMP server, shared by its files: qmp.c (sockets, connections, I/O,
 * events), qmp_dispatch.c (commands, deferred requests), qmp_builtin.c (built-in
 * commands). Nothing else includes this.
 */
#ifndef VMM_QMP_INTERNAL_H
#define VMM_QMP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/core/json_stream.h"
#include "vmm/qmp/qmp.h"
#include "vmm/qmp/socket.h"

/* Compact JSON on the wire, as json-c writes it. */
#define QMP_JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

struct qmp_outbuf {
	char *data;
	size_t head;	/* first unsent byte */
	size_t tail;	/* end of queued bytes */
	size_t cap;
};

/* One client connection. */
struct qmp_conn {
	struct qmp_server *srv;
	struct qmp_conn *prev, *next;	/* on srv->clients */
	int fd;
	unsigned int serial;		/* for logs */
	uint32_t events;		/* registered with the event loop */
	unsigned int refs;		/* callers on the stack; freed at 0 once dead */
	bool dead;			/* disconnected, off the server's list */
	bool negotiated;		/* qmp_capabilities done */
	bool processing;		/* inside conn_process() */
	bool resume;			/* buffered input waits for the next wakeup */
	bool eof;			/* the client will send nothing more */
	struct qmp_request *pending;	/* deferred command being waited for */
	struct json_stream in;
	char *inbuf;			/* bytes read, not yet parsed: [in_off, in_len) */
	size_t in_off, in_len;
	struct qmp_outbuf out;
};

struct qmp_request {
	struct qmp_server *srv;		/* NULL once the server is gone */
	struct qmp_conn *conn;		/* NULL once the client is gone */
	struct qmp_request *prev, *next; /* on srv->requests */
	struct json_object *id;
	bool has_id;
	char *name;
};

struct qmp_server {
	struct event_loop *loop;
	char *path;
	int listen_fd;
	struct qmp_socket_file file;
	bool accept_paused;
	struct qmp_command *cmds;
	size_t ncmds;
	void *opaque;
	struct qmp_server_config cfg;	/* defaults filled in; cfg.package unused */
	char *package;
	char *greeting;
	size_t greeting_len;
	struct qmp_conn *clients;
	unsigned int nclients;
	unsigned int serial;
	struct qmp_request *requests;	/* deferred, not completed yet */
};

/* qmp.c */
void qmp_conn_get(struct qmp_conn *c);
void qmp_conn_put(struct qmp_conn *c);
/* Disconnects; safe at any point, the memory goes when the last holder lets go. */
void qmp_conn_drop(struct qmp_conn *c, const char *why);
/* Sends {"return": ret} or {"error": ...} with the id, if any. Takes over `ret`. */
void qmp_conn_reply(struct qmp_conn *c, bool has_id, struct json_object *id,
		    struct json_object *ret, const struct qmp_error *err);
/* Called after a deferred command of `c` completed outside its processing loop. */
void qmp_conn_resume(struct qmp_conn *c);

/* qmp_dispatch.c */
/* Runs one message a client sent. */
void qmp_dispatch(struct qmp_conn *c, struct json_object *msg);
/* Forgets the server: the request outlives it. */
void qmp_request_detach(struct qmp_request *req);

/* qmp_builtin.c */
struct qmp_builtin {
	const char *name;
	int (*fn)(struct qmp_conn *c, struct json_object *args, struct json_object **ret,
		  struct qmp_error *err);
	const char *const *args;
};

const struct qmp_builtin *qmp_builtin_find(const char *name);
/* The greeting, serialised, malloc'ed in *out. */
int qmp_builtin_greeting(const struct qmp_server *srv, char **out, size_t *len) __must_check;

#endif
