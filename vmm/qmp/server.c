// SPDX-License-Identifier: MIT
#define LOG_PREFIX "qmp"
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <json-c/json.h>

#include "vmm/core/event_loop.h"
#include "vmm/core/json_util.h"
#include "vmm/core/log.h"
#include "vmm/qmp/server_internal.h"

#define QMP_READ_CHUNK (32 * 1024)
#define QMP_READS_PER_WAKEUP 4
#define QMP_ACCEPTS_PER_WAKEUP 16
#define QMP_LISTEN_BACKLOG 16
/* An idle client's output buffer keeps this much capacity; more is given back. */
#define QMP_OUTBUF_KEEP (64 * 1024)

const char *const qmp_no_args[] = { NULL };

/* --- output buffer ------------------------------------------------------- */

static int outbuf_append(struct qmp_outbuf *o, const char *data, size_t len, const char *trailer)
{
	size_t tlen = strlen(trailer), need;

	if (o->head && o->head == o->tail)
		o->head = o->tail = 0;
	need = o->tail + len + tlen;
	if (need > o->cap && o->head) {
		memmove(o->data, o->data + o->head, o->tail - o->head);
		o->tail -= o->head;
		o->head = 0;
		need = o->tail + len + tlen;
	}
	if (need > o->cap) {
		size_t cap = MAX(need, MAX(o->cap * 2, (size_t)4096));
		char *p = realloc(o->data, cap);

		if (!p)
			return -ENOMEM;
		o->data = p;
		o->cap = cap;
	}
	memcpy(o->data + o->tail, data, len);
	memcpy(o->data + o->tail + len, trailer, tlen);
	o->tail += len + tlen;
	return 0;
}

static size_t outbuf_pending(const struct qmp_outbuf *o)
{
	return o->tail - o->head;
}

/* --- client lifecycle ---------------------------------------------------- */

static void conn_free(struct qmp_conn *c)
{
	json_stream_fini(&c->in);
	free(c->inbuf);
	free(c->out.data);
	free(c);
}

void qmp_conn_get(struct qmp_conn *c)
{
	c->refs++;
}

void qmp_conn_put(struct qmp_conn *c)
{
	if (--c->refs == 0 && c->dead)
		conn_free(c);
}

static void server_set_accepting(struct qmp_server *srv, bool on)
{
	if (srv->accept_paused == !on)
		return;
	if (event_loop_modify(srv->loop, srv->listen_fd, on ? EPOLLIN : 0) < 0) {
		log_err("cannot %s accepting clients", on ? "resume" : "pause");
		return;
	}
	srv->accept_paused = !on;
}

void qmp_conn_drop(struct qmp_conn *c, const char *why)
{
	struct qmp_server *srv = c->srv;

	if (c->dead)
		return;
	log_debug("client %u: disconnected (%s)", c->serial, why);
	c->dead = true;
	event_loop_remove(srv->loop, c->fd);
	close(c->fd);
	c->fd = -1;
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
	srv->nclients--;
	if (c->pending) {
		c->pending->conn = NULL;
		c->pending = NULL;
	}
	server_set_accepting(srv, true);
	if (!c->refs)
		conn_free(c);
}

static void conn_update_events(struct qmp_conn *c)
{
	uint32_t ev = 0;

	if (c->dead)
		return;
	/* Read only when the previous input is used up: commands run one at a time. */
	if (!c->pending && !c->eof && c->in_off == c->in_len)
		ev |= EPOLLIN;
	/* A socket with room is writable right away: `resume` uses that as a wakeup. */
	if (outbuf_pending(&c->out) || c->resume)
		ev |= EPOLLOUT;
	if (ev == c->events)
		return;
	if (event_loop_modify(c->srv->loop, c->fd, ev) < 0) {
		qmp_conn_drop(c, "cannot update its event mask");
		return;
	}
	c->events = ev;
}

/* Queues one message; returns -errno when the client had to be dropped. */
static int conn_send_raw(struct qmp_conn *c, const char *msg, size_t len)
{
	size_t pending = outbuf_pending(&c->out);

	if (c->dead)
		return -ENOTCONN;
	/* One message of any size is fine; a backlog means the client is not reading. */
	if (pending && pending + len > c->srv->cfg.max_output) {
		log_warn_ratelimited("client %u: disconnected, %zu bytes it does not read", c->serial,
				     pending);
		qmp_conn_drop(c, "output backlog");
		return -ENOBUFS;
	}
	if (outbuf_append(&c->out, msg, len, "\r\n") < 0) {
		log_err("client %u: out of memory queueing output", c->serial);
		qmp_conn_drop(c, "out of memory");
		return -ENOMEM;
	}
	conn_update_events(c);
	return c->dead ? -ENOTCONN : 0;
}

static void conn_send_json(struct qmp_conn *c, struct json_object *msg)
{
	size_t len;
	const char *s = json_object_to_json_string_length(msg, QMP_JSON_FLAGS, &len);

	if (!s) {
		log_err("client %u: out of memory serialising a reply", c->serial);
		qmp_conn_drop(c, "out of memory");
		return;
	}
	(void)conn_send_raw(c, s, len);
}

void qmp_conn_reply(struct qmp_conn *c, bool has_id, struct json_object *id,
		    struct json_object *ret, const struct qmp_error *err)
{
	struct json_object *rsp = json_object_new_object();
	struct json_object *body;
	const char *key;

	if (c->dead) {
		json_object_put(rsp);
		json_object_put(ret);
		return;
	}
	if (err && err->set) {
		json_object_put(ret);
		body = qmp_error_to_json(err);
		key = "error";
	} else {
		body = ret ? ret : json_object_new_object();
		key = "return";
	}
	if (!rsp || !body || json_object_object_add(rsp, key, body) < 0) {
		json_object_put(body);
		goto oom;
	}
	if (has_id && json_object_object_add(rsp, "id", json_object_get(id)) < 0) {
		json_object_put(id);
		goto oom;
	}
	conn_send_json(c, rsp);
	json_object_put(rsp);
	return;
oom:
	json_object_put(rsp);
	/* A client that gets no answer would wait forever: better tell it by hanging up. */
	log_err("client %u: out of memory building a reply", c->serial);
	qmp_conn_drop(c, "out of memory");
}

static void conn_flush(struct qmp_conn *c)
{
	struct qmp_outbuf *o = &c->out;

	while (!c->dead && outbuf_pending(o)) {
		ssize_t n = send(c->fd, o->data + o->head, outbuf_pending(o),
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				qmp_conn_drop(c, "write error");
			return;
		}
		o->head += (size_t)n;
	}
	if (!c->dead) {
		o->head = o->tail = 0;
		if (o->cap > QMP_OUTBUF_KEEP) {
			free(o->data);
			o->data = NULL;
			o->cap = 0;
		}
	}
}

/* Parses and runs buffered input until it runs out or a deferred command waits. */
static void conn_process(struct qmp_conn *c)
{
	struct qmp_error err = { 0 };
	enum json_stream_status st;
	struct json_object *msg;
	const char *why;
	size_t used;

	if (c->processing)
		return;
	qmp_conn_get(c);
	c->processing = true;
	while (!c->dead && !c->pending && c->in_off < c->in_len) {
		st = json_stream_feed(&c->in, c->inbuf + c->in_off, c->in_len - c->in_off, &used,
				      &msg, &why);
		c->in_off += used;
		switch (st) {
		case JSON_STREAM_MORE:
			break;
		case JSON_STREAM_VALUE:
			qmp_dispatch(c, msg);
			json_object_put(msg);
			break;
		case JSON_STREAM_ERROR:
			err.set = false;
			qmp_error_set(&err, QMP_ERROR_GENERIC, "JSON parse error, %s", why);
			qmp_conn_reply(c, false, NULL, NULL, &err);
			break;
		case JSON_STREAM_OVERSIZE:
			log_warn_ratelimited("client %u: disconnected, command over %zu bytes",
					     c->serial, c->srv->cfg.max_input);
			err.set = false;
			qmp_error_set(&err, QMP_ERROR_GENERIC, "JSON input exceeds %zu bytes",
				      c->srv->cfg.max_input);
			qmp_conn_reply(c, false, NULL, NULL, &err);
			conn_flush(c);
			qmp_conn_drop(c, "oversize input");
			break;
		}
	}
	if (c->in_off == c->in_len)
		c->in_off = c->in_len = 0;
	c->processing = false;
	qmp_conn_put(c);
}

static void conn_read(struct qmp_conn *c)
{
	int i;

	for (i = 0; i < QMP_READS_PER_WAKEUP && !c->dead && !c->pending && !c->eof &&
		    c->in_off == c->in_len; i++) {
		ssize_t n = recv(c->fd, c->inbuf, QMP_READ_CHUNK, MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				qmp_conn_drop(c, "read error");
			return;
		}
		if (n == 0) {
			c->eof = true;
			return;
		}
		c->in_off = 0;
		c->in_len = (size_t)n;
		conn_process(c);
	}
}

/* After any activity: hang up once a finished client is answered, else re-arm. */
static void conn_settle(struct qmp_conn *c)
{
	if (c->dead)
		return;
	if (c->eof && !c->pending && !c->resume && c->in_off == c->in_len &&
	    !outbuf_pending(&c->out)) {
		qmp_conn_drop(c, "end of input");
		return;
	}
	conn_update_events(c);
}

void qmp_conn_resume(struct qmp_conn *c)
{
	/* Run the input left behind on the next wakeup, not inside our caller. */
	c->resume = !c->dead && c->in_off < c->in_len;
	conn_settle(c);
}

static void conn_event(struct event_loop *loop __unused, int fd __unused, uint32_t events,
			 void *opaque)
{
	struct qmp_conn *c = opaque;

	qmp_conn_get(c);
	/* A hang-up while reading is an end of input after the last bytes; otherwise
	 * nobody is left to answer. */
	if ((events & EPOLLERR) || ((events & EPOLLHUP) && !(c->events & EPOLLIN))) {
		qmp_conn_drop(c, "connection closed");
		goto out;
	}
	if (events & EPOLLOUT)
		conn_flush(c);
	if (!c->dead && c->resume) {
		c->resume = false;
		conn_process(c);
	}
	if (!c->dead && (events & (EPOLLIN | EPOLLHUP)))
		conn_read(c);
	conn_settle(c);
out:
	qmp_conn_put(c);
}

static int conn_create(struct qmp_server *srv, int fd)
{
	struct qmp_conn *c = calloc(1, sizeof(*c));
	int ret = -ENOMEM;

	if (!c)
		return -ENOMEM;
	c->inbuf = malloc(QMP_READ_CHUNK);
	if (!c->inbuf)
		goto fail;
	ret = json_stream_init(&c->in, srv->cfg.max_input);
	if (ret < 0)
		goto fail;
	c->srv = srv;
	c->fd = fd;
	c->serial = ++srv->serial;
	c->events = EPOLLIN;
	ret = event_loop_add(srv->loop, fd, c->events, conn_event, c);
	if (ret < 0)
		goto fail;
	c->next = srv->clients;
	if (srv->clients)
		srv->clients->prev = c;
	srv->clients = c;
	srv->nclients++;
	log_debug("client %u: connected", c->serial);
	(void)conn_send_raw(c, srv->greeting, srv->greeting_len);
	return 0;
fail:
	conn_free(c);
	return ret;
}

static void server_accept(struct event_loop *loop __unused, int fd, uint32_t events __unused,
			  void *opaque)
{
	struct qmp_server *srv = opaque;
	int i, cfd;

	for (i = 0; i < QMP_ACCEPTS_PER_WAKEUP; i++) {
		cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			log_warn_ratelimited("accept: %s", strerror(errno));
			/* Out of descriptors: wait for a client to leave instead of spinning. */
			if (srv->nclients)
				server_set_accepting(srv, false);
			return;
		}
		if (srv->nclients >= srv->cfg.max_clients) {
			log_warn_ratelimited("refusing a client: %u connected already", srv->nclients);
			close(cfd);
			continue;
		}
		if (conn_create(srv, cfd) < 0) {
			log_warn_ratelimited("cannot set up a client");
			close(cfd);
		}
	}
}

/* --- events -------------------------------------------------------------- */

int qmp_server_emit_event(struct qmp_server *srv, const char *name, struct json_object *data)
{
	struct json_object *ev = json_object_new_object(), *ts = json_object_new_object();
	struct qmp_conn *c, *next;
	struct timeval tv;
	const char *s;
	size_t len;
	int n = 0;

	gettimeofday(&tv, NULL);
	if (!name || !*name) {
		json_object_put(data);
		json_object_put(ts);
		json_object_put(ev);
		return -EINVAL;
	}
	if (json_add_str(ev, "event", name) < 0) {
		json_object_put(data);
		json_object_put(ts);
		goto oom;
	}
	/* json_add_obj() takes `data` over, also when it fails. */
	if (data && json_add_obj(ev, "data", data) < 0) {
		json_object_put(ts);
		goto oom;
	}
	if (json_add_int(ts, "seconds", tv.tv_sec) < 0 ||
	    json_add_int(ts, "microseconds", tv.tv_usec) < 0) {
		json_object_put(ts);
		goto oom;
	}
	if (json_add_obj(ev, "timestamp", ts) < 0)
		goto oom;
	s = json_object_to_json_string_length(ev, QMP_JSON_FLAGS, &len);
	if (!s)
		goto oom;
	for (c = srv->clients; c; c = next) {
		next = c->next;
		if (c->negotiated && conn_send_raw(c, s, len) == 0)
			n++;
	}
	json_object_put(ev);
	return n;
oom:
	json_object_put(ev);
	log_err("out of memory emitting event %s", name);
	return -ENOMEM;
}

unsigned int qmp_server_client_count(const struct qmp_server *srv)
{
	return srv->nclients;
}

/* --- server -------------------------------------------------------------- */

static int check_commands(const struct qmp_command *cmds, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (!cmds[i].name || !*cmds[i].name || !cmds[i].fn == !cmds[i].async_fn)
			return -EINVAL;
		if (qmp_builtin_find(cmds[i].name))
			return -EEXIST;
		for (j = 0; j < i; j++)
			if (!strcmp(cmds[i].name, cmds[j].name))
				return -EEXIST;
	}
	return 0;
}

int qmp_server_create(struct event_loop *loop, const char *socket_path,
		      const struct qmp_command *cmds, size_t n, void *opaque,
		      struct qmp_server **out)
{
	return qmp_server_create_ex(loop, socket_path, NULL, cmds, n, opaque, out);
}

int qmp_server_create_ex(struct event_loop *loop, const char *socket_path,
			 const struct qmp_server_config *cfg, const struct qmp_command *cmds,
			 size_t n, void *opaque, struct qmp_server **out)
{
	struct qmp_server *srv;
	int ret;

	if (!loop || !socket_path || (n && !cmds))
		return -EINVAL;
	ret = check_commands(cmds, n);
	if (ret < 0)
		return ret;
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return -ENOMEM;
	srv->loop = loop;
	srv->listen_fd = -1;
	srv->opaque = opaque;
	if (cfg)
		srv->cfg = *cfg;
	if (!srv->cfg.version_major && !srv->cfg.version_minor && !srv->cfg.version_micro)
		srv->cfg.version_major = 9;
	if (!srv->cfg.max_clients)
		srv->cfg.max_clients = QMP_DEFAULT_MAX_CLIENTS;
	if (!srv->cfg.max_input)
		srv->cfg.max_input = QMP_DEFAULT_MAX_INPUT;
	if (!srv->cfg.max_output)
		srv->cfg.max_output = QMP_DEFAULT_MAX_OUTPUT;
	ret = -ENOMEM;
	srv->package = strdup(srv->cfg.package ? srv->cfg.package : "vmm");
	srv->path = strdup(socket_path);
	if (!srv->package || !srv->path)
		goto fail;
	srv->cfg.package = NULL;
	if (n) {
		srv->cmds = calloc(n, sizeof(*cmds));
		if (!srv->cmds)
			goto fail;
		memcpy(srv->cmds, cmds, n * sizeof(*cmds));
		srv->ncmds = n;
	}
	ret = qmp_builtin_greeting(srv, &srv->greeting, &srv->greeting_len);
	if (ret < 0)
		goto fail;
	ret = qmp_socket_listen(socket_path, QMP_LISTEN_BACKLOG, &srv->listen_fd, &srv->file);
	if (ret < 0)
		goto fail;
	ret = event_loop_add(loop, srv->listen_fd, EPOLLIN, server_accept, srv);
	if (ret < 0)
		goto fail_socket;
	log_debug("listening on %s", socket_path);
	*out = srv;
	return 0;
fail_socket:
	close(srv->listen_fd);
	qmp_socket_unlink(socket_path, &srv->file);
fail:
	free(srv->greeting);
	free(srv->cmds);
	free(srv->path);
	free(srv->package);
	free(srv);
	return ret;
}

void qmp_server_destroy(struct qmp_server *srv)
{
	struct qmp_conn *c;
	struct qmp_request *req;

	if (!srv)
		return;
	while ((c = srv->clients)) {
		/* Best effort: deliver what is queued, such as the answer to "quit". */
		conn_flush(c);
		if (srv->clients == c)
			qmp_conn_drop(c, "server shutting down");
	}
	while ((req = srv->requests))
		qmp_request_detach(req);
	event_loop_remove(srv->loop, srv->listen_fd);
	close(srv->listen_fd);
	qmp_socket_unlink(srv->path, &srv->file);
	free(srv->greeting);
	free(srv->cmds);
	free(srv->path);
	free(srv->package);
	free(srv);
}
