// SPDX-License-Identifier: MIT
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "vmm/core/clock.h"
#include "vmm/qmp/socket.h"

static int make_addr(const char *path, struct sockaddr_un *sa)
{
	size_t len = strlen(path);

	if (!len)
		return -EINVAL;
	if (len >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, len + 1);
	return 0;
}

static int unix_socket(void)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	return fd < 0 ? -errno : fd;
}

/* The address of path and a fresh socket for it: the fd, or -errno. */
static int socket_for(const char *path, struct sockaddr_un *sa)
{
	int ret = make_addr(path, sa);

	return ret < 0 ? ret : unix_socket();
}

/*
 * Is somebody listening on the socket file at sa? 1: yes, 0: no (stale file),
 * -ENOENT: the file went away meanwhile, -EEXIST: not a socket.
 */
static int probe_listener(const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, ret;

	if (lstat(sa->sun_path, &st) < 0)
		return -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = unix_socket();
	if (fd < 0)
		return fd;
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
		ret = 1;
	else if (errno == EAGAIN || errno == EINPROGRESS)
		ret = 1;	/* accept queue full: alive */
	else if (errno == ECONNREFUSED)
		ret = 0;
	else
		ret = -errno;
	close(fd);
	return ret;
}

int qmp_socket_listen(const char *path, int backlog, int *out_fd, struct qmp_socket_file *file)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd, ret, attempt;

	fd = socket_for(path, &sa);
	if (fd < 0)
		return fd;
	/* Linux creates the file with the socket inode's mode (less the umask): no window
	 * in which another user could connect. */
	if (fchmod(fd, 0600) < 0) {
		ret = -errno;
		goto fail;
	}
	for (attempt = 0;; attempt++) {
		if (bind(fd, (const struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		ret = -errno;
		if (ret != -EADDRINUSE || attempt)
			goto fail;
		ret = probe_listener(&sa);
		if (ret > 0)
			ret = -EADDRINUSE;
		if (ret == -ENOENT)
			continue;
		if (ret < 0)
			goto fail;
		/* Stale: left behind by a server that is gone. */
		if (unlink(path) < 0 && errno != ENOENT) {
			ret = -errno;
			goto fail;
		}
	}
	if (chmod(path, 0600) < 0 || lstat(path, &st) < 0) {
		ret = -errno;
		unlink(path);
		goto fail;
	}
	if (listen(fd, backlog) < 0) {
		ret = -errno;
		unlink(path);
		goto fail;
	}
	file->dev = st.st_dev;
	file->ino = st.st_ino;
	*out_fd = fd;
	return 0;
fail:
	close(fd);
	return ret;
}

void qmp_socket_unlink(const char *path, const struct qmp_socket_file *file)
{
	struct stat st;

	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == file->dev &&
	    st.st_ino == file->ino)
		unlink(path);
}

int qmp_socket_connect(const char *path, int timeout_ms, int *out_fd)
{
	int64_t deadline = timeout_ms < 0 ? -1 : clock_now_ms() + timeout_ms;
	struct sockaddr_un sa;
	int fd, ret;

	fd = socket_for(path, &sa);
	if (fd < 0)
		return fd;
	while (connect(fd, (const struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ret = -errno;
		if (ret == -EINTR)
			continue;
		if (ret != -EAGAIN)
			goto fail;
		/* The server's accept queue is full: retry shortly. */
		if (deadline >= 0 && clock_now_ms() >= deadline) {
			ret = -ETIMEDOUT;
			goto fail;
		}
		poll(NULL, 0, 10);
	}
	*out_fd = fd;
	return 0;
fail:
	close(fd);
	return ret;
}
