// SPDX-License-Identifier: GPL-2.0-only
/*
 * l1util: small static helper for the arm64 test host ("L1"), where busybox
 * lacks precise timing and process supervision. Used by the integration
 * harness (tests/integration/) through tests/l1/helpers.sh.
 *
 *   l1util now
 *       monotonic clock in ms
 *   l1util wait [-n COUNT] [-p PID] FILE PATTERN TIMEOUT_MS
 *       poll a growing FILE until COUNT lines (default 1) contain PATTERN;
 *       print the last one. Exit 0 found, 1 timeout, 2 PID is gone first.
 *   l1util time-to-line [-l LOG] PATTERN TIMEOUT_MS -- CMD ARGS...
 *       fork/exec CMD (own process group, stdin /dev/null, stdout+stderr
 *       piped), print the ms from just before exec to the first output line
 *       containing PATTERN, then SIGTERM the group, wait up to 10 s, SIGKILL.
 *       Exit 0 found, 1 timeout, 2 CMD exited first, 3 usage/exec error.
 *       With -b (PATTERN ignored): the ms to the first byte CMD writes to its
 *       stdout; its stderr (the VMM's own log) goes to LOG and is not watched.
 *   l1util spawn -i IN -o OUT -e ERR -s STATUS [-P PIDFILE] -- CMD ARGS...
 *       start CMD in the background under a supervisor that stays its parent:
 *       prints CMD's pid; when CMD ends, STATUS gets one line
 *       "status: exit N ms=T" or "status: signal N[ core] ms=T" (T = run time).
 *       If IN is a FIFO the supervisor keeps a writer open on it, so CMD
 *       never sees end-of-file on its stdin.
 *   l1util put FILE
 *       copy stdin to FILE (a FIFO) without blocking if nobody reads it:
 *       exit 1 "no reader" instead of hanging.
 *   l1util proc PID
 *       "pid=P state=S threads=N fds=N rss_kb=N" of a live process.
 *   l1util veth NAME_A PID_A NAME_B PID_B
 *       creates a veth pair, end NAME_A in the network namespace of PID_A and
 *       NAME_B in that of PID_B (busybox's ip cannot create veth devices).
 *   l1util pgrep NAME
 *       "PID STATE" of every process whose comm or exe basename is NAME;
 *       exit 1 if there is none.
 */
#include <dirent.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sys/socket.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES 65536

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

__attribute__((format(printf, 1, 2), noreturn))
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("l1util: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(3);
}

static long parse_long(const char *s, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end)
		die("bad %s '%s'", what, s);
	return v;
}

/* Prints a line without its trailing CR/LF. */
static void print_line(FILE *f, const char *line, size_t len)
{
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	fwrite(line, 1, len, f);
	fputc('\n', f);
	fflush(f);
}

/* A line splitter over a byte stream. */
struct lines {
	char buf[LINE_MAX_BYTES];
	size_t len;
};

/*
 * Appends data; calls fn for each complete line (and for a full buffer).
 * Returns fn's first non-zero result, or 0.
 */
static int lines_feed(struct lines *l, const char *data, size_t n,
		      int (*fn)(const char *line, size_t len, void *arg), void *arg)
{
	int ret = 0;

	while (n) {
		size_t room = sizeof(l->buf) - l->len;
		size_t take = n < room ? n : room;
		const char *nl = memchr(data, '\n', take);

		if (nl)
			take = (size_t)(nl - data) + 1;
		memcpy(l->buf + l->len, data, take);
		l->len += take;
		data += take;
		n -= take;
		if (nl || l->len == sizeof(l->buf)) {
			if (!ret)
				ret = fn(l->buf, l->len, arg);
			l->len = 0;
		}
	}
	return ret;
}

static int pid_alive(pid_t pid)
{
	char path[64], buf[512];
	FILE *f;
	char *p;
	int alive = 1;

	if (kill(pid, 0) < 0 && errno == ESRCH)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fgets(buf, sizeof(buf), f)) {
		p = strrchr(buf, ')');
		if (p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'))
			alive = 0;
	}
	fclose(f);
	return alive;
}

/* ---- wait ---------------------------------------------------------------- */

struct wait_ctx {
	const char *pattern;
	long want, seen;
};

static int wait_line(const char *line, size_t len, void *arg)
{
	struct wait_ctx *w = arg;
	char tmp[LINE_MAX_BYTES + 1];

	memcpy(tmp, line, len);
	tmp[len] = 0;
	if (!strstr(tmp, w->pattern))
		return 0;
	if (++w->seen < w->want)
		return 0;
	print_line(stdout, line, len);
	return 1;
}

static int cmd_wait(int argc, char **argv)
{
	static struct lines l;
	struct wait_ctx w = { .want = 1 };
	pid_t pid = 0;
	int64_t deadline;
	off_t off = 0;
	int fd = -1, opt, gone = 0;

	while ((opt = getopt(argc, argv, "+n:p:")) != -1) {
		switch (opt) {
		case 'n': w.want = parse_long(optarg, "count"); break;
		case 'p': pid = (pid_t)parse_long(optarg, "pid"); break;
		default: die("usage: wait [-n COUNT] [-p PID] FILE PATTERN TIMEOUT_MS");
		}
	}
	if (argc - optind != 3)
		die("usage: wait [-n COUNT] [-p PID] FILE PATTERN TIMEOUT_MS");
	w.pattern = argv[optind + 1];
	deadline = now_ms() + parse_long(argv[optind + 2], "timeout");

	for (;;) {
		char chunk[16384];
		ssize_t n;

		if (fd < 0)
			fd = open(argv[optind], O_RDONLY | O_CLOEXEC);
		while (fd >= 0 && (n = pread(fd, chunk, sizeof(chunk), off)) > 0) {
			off += n;
			if (lines_feed(&l, chunk, (size_t)n, wait_line, &w))
				return 0;
		}
		if (gone || now_ms() >= deadline) {
			/* A last line without its newline still counts. */
			if (l.len && wait_line(l.buf, l.len, &w))
				return 0;
			if (gone) {
				fprintf(stderr, "l1util: process %d ended before '%s' appeared\n",
					(int)pid, w.pattern);
				return 2;
			}
			fprintf(stderr, "l1util: timeout waiting for '%s' in %s (%ld of %ld seen)\n",
				w.pattern, argv[optind], w.seen, w.want);
			return 1;
		}
		if (pid && !pid_alive(pid))
			gone = 1;	/* one more read, then report */
		else
			sleep_ms(20);
	}
}

/* ---- time-to-line --------------------------------------------------------- */

struct ttl_ctx {
	const char *pattern;
	int64_t found_at;
	FILE *log;
};

static int ttl_line(const char *line, size_t len, void *arg)
{
	struct ttl_ctx *t = arg;
	char tmp[LINE_MAX_BYTES + 1];

	if (t->found_at)
		return 0;
	memcpy(tmp, line, len);
	tmp[len] = 0;
	if (strstr(tmp, t->pattern)) {
		t->found_at = now_ms();
		return 1;
	}
	return 0;
}

static void describe_status(char *buf, size_t sz, int st)
{
	if (WIFEXITED(st))
		snprintf(buf, sz, "exit %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, sz, "signal %d%s", WTERMSIG(st), WCOREDUMP(st) ? " core" : "");
	else
		snprintf(buf, sz, "status 0x%x", st);
}

static int cmd_time_to_line(int argc, char **argv)
{
	static struct lines l;
	struct ttl_ctx t = { 0 };
	volatile int64_t *shared;
	int out[2], errp[2], opt, st = 0, child_done = 0, eof = 0, first_byte = 0, ret;
	int64_t deadline, kill_deadline;
	long timeout;
	char desc[64];
	pid_t pid;

	while ((opt = getopt(argc, argv, "+bl:")) != -1) {
		switch (opt) {
		case 'b':
			first_byte = 1;
			break;
		case 'l':
			t.log = fopen(optarg, "w");
			if (!t.log)
				die("cannot open %s: %s", optarg, strerror(errno));
			break;
		default: die("usage: time-to-line [-b] [-l LOG] PATTERN TIMEOUT_MS -- CMD ARGS...");
		}
	}
	if (argc - optind < 4 || strcmp(argv[optind + 2], "--"))
		die("usage: time-to-line [-b] [-l LOG] PATTERN TIMEOUT_MS -- CMD ARGS...");
	t.pattern = argv[optind];
	timeout = parse_long(argv[optind + 1], "timeout");
	argv += optind + 3;

	shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0)
		die("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);
		int e;

		setpgid(0, 0);
		if (nul < 0 || dup2(nul, 0) < 0 || dup2(out[1], 1) < 0)
			_exit(127);
		if (first_byte ? dup2(t.log ? fileno(t.log) : nul, 2) < 0 : dup2(out[1], 2) < 0)
			_exit(127);
		*shared = now_ms();
		execvp(argv[0], argv);
		e = errno;
		if (write(errp[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	setpgid(pid, pid);
	close(out[1]);
	close(errp[1]);
	{
		int e;

		if (read(errp[0], &e, sizeof(e)) == (ssize_t)sizeof(e)) {
			waitpid(pid, NULL, 0);
			die("cannot execute %s: %s", argv[0], strerror(e));
		}
		close(errp[0]);
	}

	deadline = *shared + timeout;
	for (;;) {
		struct pollfd p = { .fd = out[0], .events = POLLIN };
		int64_t left = deadline - now_ms();
		char chunk[16384];
		ssize_t n;

		if (left <= 0)
			break;
		if (!eof && poll(&p, 1, left > 200 ? 200 : (int)left) > 0) {
			n = read(out[0], chunk, sizeof(chunk));
			if (n > 0) {
				if (first_byte) {
					t.found_at = now_ms();
					break;
				}
				if (t.log)
					fwrite(chunk, 1, (size_t)n, t.log);
				if (lines_feed(&l, chunk, (size_t)n, ttl_line, &t))
					break;
				continue;
			}
			if (n == 0)
				eof = 1;	/* all writers closed; keep watching the child */
		}
		if (eof)
			sleep_ms(20);
		if (!child_done && waitpid(pid, &st, WNOHANG) == pid) {
			child_done = 1;
			/* drain what is left, then stop */
			while ((n = read(out[0], chunk, sizeof(chunk))) > 0) {
				if (first_byte) {
					t.found_at = now_ms();
					break;
				}
				if (t.log)
					fwrite(chunk, 1, (size_t)n, t.log);
				lines_feed(&l, chunk, (size_t)n, ttl_line, &t);
			}
			break;
		}
	}
	if (!t.found_at && l.len)
		ttl_line(l.buf, l.len, &t);

	if (t.found_at)
		ret = 0;
	else if (child_done)
		ret = 2;
	else
		ret = 1;
	if (t.found_at) {
		printf("%lld\n", (long long)(t.found_at - *shared));
		fflush(stdout);
	}

	/* Stop the child: SIGTERM, up to 10 s (draining its output), then SIGKILL. */
	if (!child_done) {
		kill(-pid, SIGTERM);
		kill_deadline = now_ms() + 10000;
		fcntl(out[0], F_SETFL, O_NONBLOCK);
		while (waitpid(pid, &st, WNOHANG) != pid) {
			char chunk[16384];
			ssize_t n;

			if (now_ms() >= kill_deadline) {
				fprintf(stderr, "l1util: child %d ignored SIGTERM for 10 s; SIGKILL\n", (int)pid);
				kill(-pid, SIGKILL);
				waitpid(pid, &st, 0);
				break;
			}
			while ((n = read(out[0], chunk, sizeof(chunk))) > 0)
				if (t.log && !first_byte)
					fwrite(chunk, 1, (size_t)n, t.log);
			sleep_ms(20);
		}
	}
	/* Leave nothing of its process group behind. */
	kill(-pid, SIGKILL);
	describe_status(desc, sizeof(desc), st);
	if (ret == 1)
		fprintf(stderr, "l1util: timeout: no line containing '%s' within %ld ms\n", t.pattern, timeout);
	else if (ret == 2)
		fprintf(stderr, "l1util: child ended (%s) before a line containing '%s'\n", desc, t.pattern);
	fprintf(stderr, "l1util: child %s\n", desc);
	if (t.log)
		fclose(t.log);
	return ret;
}

/* ---- spawn ---------------------------------------------------------------- */

static int write_file_atomic(const char *path, const char *text)
{
	char tmp[PATH_MAX];
	int fd;
	ssize_t len = (ssize_t)strlen(text);

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, text, (size_t)len) != len) {
		close(fd);
		return -EIO;
	}
	close(fd);
	return rename(tmp, path) < 0 ? -errno : 0;
}

static int cmd_spawn(int argc, char **argv)
{
	const char *in = NULL, *out = NULL, *err = NULL, *status = NULL, *pidfile = NULL;
	int sync[2], errp[2], opt, st, infd, outfd, errfd, holdfd = -1, e;
	volatile int64_t *shared;
	struct stat sb;
	char buf[128], desc[64];
	pid_t sup, child;

	while ((opt = getopt(argc, argv, "+i:o:e:s:P:")) != -1) {
		switch (opt) {
		case 'i': in = optarg; break;
		case 'o': out = optarg; break;
		case 'e': err = optarg; break;
		case 's': status = optarg; break;
		case 'P': pidfile = optarg; break;
		default: die("usage: spawn -i IN -o OUT -e ERR -s STATUS [-P PIDFILE] -- CMD ARGS...");
		}
	}
	/* getopt consumes the "--" itself */
	if (optind < argc && !strcmp(argv[optind], "--"))
		optind++;
	if (!in || !out || !err || !status || optind >= argc)
		die("usage: spawn -i IN -o OUT -e ERR -s STATUS [-P PIDFILE] -- CMD ARGS...");
	argv += optind;

	unlink(status);
	if (stat(in, &sb) == 0 && S_ISFIFO(sb.st_mode)) {
		/* O_RDWR on a FIFO never blocks and keeps a writer open. */
		holdfd = open(in, O_RDWR | O_CLOEXEC);
		if (holdfd < 0)
			die("cannot open %s: %s", in, strerror(errno));
	}
	infd = open(in, O_RDONLY | O_CLOEXEC);
	if (infd < 0)
		die("cannot open %s: %s", in, strerror(errno));
	outfd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
	if (outfd < 0)
		die("cannot open %s: %s", out, strerror(errno));
	if (!strcmp(out, err))
		errfd = outfd;
	else if ((errfd = open(err, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644)) < 0)
		die("cannot open %s: %s", err, strerror(errno));
	shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	if (pipe2(sync, O_CLOEXEC) < 0)
		die("pipe: %s", strerror(errno));

	fflush(NULL);
	sup = fork();
	if (sup < 0)
		die("fork: %s", strerror(errno));
	if (sup > 0) {
		/* The caller: report the child's pid once it exists, and return. */
		ssize_t n;

		close(sync[1]);
		n = read(sync[0], buf, sizeof(buf) - 1);
		if (n <= 0)
			die("supervisor failed to start the command");
		buf[n] = 0;
		fputs(buf, stdout);
		return 0;
	}

	/* The supervisor. */
	close(sync[0]);
	setsid();
	if (pipe2(errp, O_CLOEXEC) < 0) {
		dprintf(errfd, "l1util: pipe: %s\n", strerror(errno));
		_exit(1);
	}
	child = fork();
	if (child < 0) {
		dprintf(errfd, "l1util: fork: %s\n", strerror(errno));
		_exit(1);
	}
	if (child == 0) {
		signal(SIGPIPE, SIG_DFL);
		if (dup2(infd, 0) < 0 || dup2(outfd, 1) < 0 || dup2(errfd, 2) < 0)
			_exit(127);
		*shared = now_ms();
		execvp(argv[0], argv);
		e = errno;
		dprintf(2, "l1util: cannot execute %s: %s\n", argv[0], strerror(e));
		if (write(errp[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(errp[1]);
	/* Wait until exec happened (or failed: the status then says exit 127). */
	if (read(errp[0], &e, sizeof(e)) < 0)
		e = errno;
	close(errp[0]);
	snprintf(buf, sizeof(buf), "%d\n", (int)child);
	if (pidfile)
		write_file_atomic(pidfile, buf);
	if (write(sync[1], buf, strlen(buf)) < 0) {
		/* the caller died: keep supervising anyway */
	}
	close(sync[1]);
	close(infd);
	if (errfd != outfd)
		close(errfd);
	close(outfd);
	{
		int nul = open("/dev/null", O_RDWR);

		if (nul >= 0) {
			dup2(nul, 0);
			dup2(nul, 1);
			dup2(nul, 2);
			if (nul > 2)
				close(nul);
		}
	}
	while (waitpid(child, &st, 0) < 0) {
		if (errno != EINTR) {
			st = 0xffff;
			break;
		}
	}
	describe_status(desc, sizeof(desc), st);
	snprintf(buf, sizeof(buf), "status: %s ms=%lld\n", desc, (long long)(now_ms() - *shared));
	write_file_atomic(status, buf);
	if (holdfd >= 0)
		close(holdfd);
	_exit(0);
}

/* ---- put ------------------------------------------------------------------ */

static int cmd_put(int argc, char **argv)
{
	char buf[4096];
	ssize_t n;
	int fd;

	if (argc != 2)
		die("usage: put FILE < DATA");
	fd = open(argv[1], O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "l1util: %s: %s\n", argv[1],
			errno == ENXIO ? "no reader (is the process gone?)" : strerror(errno));
		return 1;
	}
	fcntl(fd, F_SETFL, 0);	/* back to blocking writes */
	signal(SIGPIPE, SIG_IGN);
	while ((n = read(0, buf, sizeof(buf))) > 0) {
		if (write(fd, buf, (size_t)n) != n) {
			fprintf(stderr, "l1util: write %s: %s\n", argv[1], strerror(errno));
			return 1;
		}
	}
	close(fd);
	return 0;
}

/* ---- proc / pgrep --------------------------------------------------------- */

static int count_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static int read_small(const char *path, char *buf, size_t sz)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sz - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return 0;
}

static char proc_state(int pid)
{
	char path[64], buf[1024], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (read_small(path, buf, sizeof(buf)) < 0)
		return '?';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

static int cmd_proc(int argc, char **argv)
{
	char path[64], buf[4096], *p;
	long threads = -1, rss = -1;
	int pid;

	if (argc != 2)
		die("usage: proc PID");
	pid = (int)parse_long(argv[1], "pid");
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (read_small(path, buf, sizeof(buf)) < 0) {
		fprintf(stderr, "l1util: no process %d\n", pid);
		return 1;
	}
	if ((p = strstr(buf, "\nThreads:")))
		threads = strtol(p + 9, NULL, 10);
	if ((p = strstr(buf, "\nVmRSS:")))
		rss = strtol(p + 7, NULL, 10);
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	printf("pid=%d state=%c threads=%ld fds=%d rss_kb=%ld\n", pid, proc_state(pid), threads,
	       count_dir(path), rss);
	return 0;
}

static int cmd_pgrep(int argc, char **argv)
{
	DIR *d;
	struct dirent *e;
	int found = 0;

	if (argc != 2)
		die("usage: pgrep NAME");
	d = opendir("/proc");
	if (!d)
		die("opendir /proc: %s", strerror(errno));
	while ((e = readdir(d))) {
		char path[300], comm[256], exe[PATH_MAX];
		const char *base;
		ssize_t n;
		int pid, match = 0;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		pid = atoi(e->d_name);
		if (pid == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
		if (read_small(path, comm, sizeof(comm)) == 0) {
			comm[strcspn(comm, "\n")] = 0;
			match = !strcmp(comm, argv[1]);
		}
		snprintf(path, sizeof(path), "/proc/%d/exe", pid);
		n = readlink(path, exe, sizeof(exe) - 1);
		if (!match && n > 0) {
			exe[n] = 0;
			base = strrchr(exe, '/');
			match = !strcmp(base ? base + 1 : exe, argv[1]);
		}
		if (match) {
			printf("%d %c\n", pid, proc_state(pid));
			found++;
		}
	}
	closedir(d);
	return found ? 0 : 1;
}

/* ---- veth ---------------------------------------------------------------- */

struct nlbuf {
	char b[1024];
	size_t len;
};

static struct rtattr *nl_put(struct nlbuf *m, unsigned short type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)(m->b + NLMSG_ALIGN(m->len));

	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	m->len = NLMSG_ALIGN(m->len) + RTA_ALIGN(a->rta_len);
	return a;
}

static void nl_end(struct nlbuf *m, struct rtattr *nest)
{
	nest->rta_len = (unsigned short)(m->b + m->len - (char *)nest);
}

static int cmd_veth(int argc, char **argv)
{
	struct nlbuf m = { { 0 }, 0 };
	struct nlmsghdr *h = (struct nlmsghdr *)m.b;
	struct ifinfomsg *ifi;
	struct rtattr *li, *data, *peer;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	char reply[4096];
	uint32_t pa, pb;
	ssize_t n;
	int fd;

	if (argc != 5)
		die("usage: veth NAME_A PID_A NAME_B PID_B");
	pa = (uint32_t)parse_long(argv[2], "pid");
	pb = (uint32_t)parse_long(argv[4], "pid");
	h->nlmsg_type = RTM_NEWLINK;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK;
	m.len = NLMSG_LENGTH(sizeof(*ifi));
	nl_put(&m, IFLA_IFNAME, argv[1], strlen(argv[1]) + 1);
	nl_put(&m, IFLA_NET_NS_PID, &pa, sizeof(pa));
	li = nl_put(&m, IFLA_LINKINFO, NULL, 0);
	nl_put(&m, IFLA_INFO_KIND, "veth", 5);
	data = nl_put(&m, IFLA_INFO_DATA, NULL, 0);
	peer = nl_put(&m, VETH_INFO_PEER, NULL, 0);
	m.len += sizeof(struct ifinfomsg);
	nl_put(&m, IFLA_IFNAME, argv[3], strlen(argv[3]) + 1);
	nl_put(&m, IFLA_NET_NS_PID, &pb, sizeof(pb));
	nl_end(&m, peer);
	nl_end(&m, data);
	nl_end(&m, li);
	h->nlmsg_len = (uint32_t)m.len;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0 || sendto(fd, m.b, m.len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("netlink: %s", strerror(errno));
	n = recv(fd, reply, sizeof(reply), 0);
	if (n < (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)))
		die("netlink: no answer");
	h = (struct nlmsghdr *)reply;
	if (h->nlmsg_type == NLMSG_ERROR) {
		struct nlmsgerr *e = NLMSG_DATA(h);

		if (e->error)
			die("cannot create veth %s/%s: %s", argv[1], argv[3], strerror(-e->error));
	}
	close(fd);
	return 0;
}

static void usage(void)
{
	fputs("usage: l1util now | wait | time-to-line | spawn | put | proc | pgrep | veth (see the source header)\n",
	      stderr);
	exit(3);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	optind = 2;
	if (!strcmp(argv[1], "now")) {
		printf("%lld\n", (long long)now_ms());
		return 0;
	}
	if (!strcmp(argv[1], "wait"))
		return cmd_wait(argc, argv);
	if (!strcmp(argv[1], "time-to-line"))
		return cmd_time_to_line(argc, argv);
	if (!strcmp(argv[1], "spawn"))
		return cmd_spawn(argc, argv);
	if (!strcmp(argv[1], "put"))
		return cmd_put(argc - 1, argv + 1);
	if (!strcmp(argv[1], "proc"))
		return cmd_proc(argc - 1, argv + 1);
	if (!strcmp(argv[1], "pgrep"))
		return cmd_pgrep(argc - 1, argv + 1);
	if (!strcmp(argv[1], "veth"))
		return cmd_veth(argc - 1, argv + 1);
	usage();
}
