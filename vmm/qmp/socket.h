/* SPDX-License-Identifier: MIT */
/*
 * UNIX stream sockets for QMP: a listening socket that replaces a stale socket file
 * but never a live server's, and a client connection.
 */
#ifndef VMM_QMP_SOCKET_H
#define VMM_QMP_SOCKET_H

#include <sys/types.h>

#include "vmm/core/compiler.h"

/* Identifies the socket file we created, so that we only ever unlink our own. */
struct qmp_socket_file {
	dev_t dev;
	ino_t ino;
};

/*
 * Binds and listens on `path`, mode 0600, non-blocking and close-on-exec.
 * A socket file nobody listens on is replaced; returns -EADDRINUSE when a server
 * answers on it, -EEXIST when the path is something else than a socket,
 * -ENAMETOOLONG when it does not fit a sockaddr_un.
 */
int qmp_socket_listen(const char *path, int backlog, int *fd,
		      struct qmp_socket_file *file) __must_check;
/* Removes the socket file if it is still the one qmp_socket_listen() created. */
void qmp_socket_unlink(const char *path, const struct qmp_socket_file *file);
/* Connects to `path`; the descriptor is non-blocking and close-on-exec. Waits up to
 * timeout_ms (-1: forever) while the server's accept queue is full. */
int qmp_socket_connect(const char *path, int timeout_ms, int *fd) __must_check;

#endif
