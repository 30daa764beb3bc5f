// SPDX-License-Identifier: MIT
/* vmm: the command-line entry point. The only place that decides the exit status. */
#define LOG_PREFIX "vmm"
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "vmm/cli.h"
#include "vmm/console.h"
#include "vmm/event_loop.h"
#include "vmm/log.h"
#include "vmm/vm.h"

#define VMM_VERSION "0.1.0"

struct runner {
	struct event_loop *loop;
	struct console console;
	struct vm *vm;
	enum vm_exit exit;
	int sig_fd;
};

static void con_output(void *ctx, uint8_t byte)
{
	struct runner *r = ctx;

	console_output(&r->console, byte);
}

static void con_rx_space(void *ctx)
{
	struct runner *r = ctx;

	console_wake(&r->console);
}

static const struct vm_hooks runner_hooks = {
	.output = con_output,
	.rx_space = con_rx_space,
};

static size_t sink_feed(void *ctx, const uint8_t *buf, size_t len)
{
	struct runner *r = ctx;

	return r->vm ? pl011_receive(&r->vm->uart, buf, len) : 0;
}

static void sink_quit(void *ctx)
{
	struct runner *r = ctx;

	if (r->exit == VM_EXIT_NONE)
		r->exit = VM_EXIT_SHUTDOWN;
}

static const struct console_sink runner_sink = { .feed = sink_feed, .quit = sink_quit };

static void on_vm_event(struct event_loop *loop, int fd, uint32_t events, void *opaque)
{
	struct runner *r = opaque;
	enum vm_exit why;

	(void)loop;
	(void)fd;
	(void)events;
	why = vm_process_events(r->vm);
	if (why != VM_EXIT_NONE && r->exit == VM_EXIT_NONE)
		r->exit = why;
}

static void on_signal(struct event_loop *loop, int fd, uint32_t events, void *opaque)
{
	struct runner *r = opaque;
	struct signalfd_siginfo si;

	(void)loop;
	(void)events;
	if (read(fd, &si, sizeof(si)) != sizeof(si))
		return;
	log_info("received signal %u: shutting down", si.ssi_signo);
	if (r->exit == VM_EXIT_NONE)
		r->exit = VM_EXIT_SHUTDOWN;
}

static int setup_signals(struct runner *r)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	r->sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (r->sig_fd < 0)
		return -errno;
	return vcpu_signal_setup();
}

/* Boots the VM; a guest reset rebuilds it and boots again. */
static int run_vm(struct runner *r, const struct vm_config *cfg)
{
	char err[512] = "";
	int ret;

	for (;;) {
		ret = vm_create(cfg, &runner_hooks, r, &r->vm, err, sizeof(err));
		if (ret < 0) {
			fprintf(stderr, "vmm: error: %s\n", err[0] ? err : strerror(-ret));
			return ret;
		}
		ret = event_loop_add(r->loop, r->vm->event_fd, EPOLLIN, on_vm_event, r);
		if (ret == 0)
			ret = vm_start(r->vm);
		if (ret < 0) {
			fprintf(stderr, "vmm: error: cannot start the VM: %s\n", strerror(-ret));
			goto out_destroy;
		}
		console_set_sink(&r->console, &runner_sink, r);
		while (r->exit == VM_EXIT_NONE) {
			ret = event_loop_run_once(r->loop, -1);
			if (ret < 0) {
				fprintf(stderr, "vmm: error: event loop: %s\n", strerror(-ret));
				r->exit = VM_EXIT_ERROR;
			}
		}
		ret = 0;
out_destroy:
		console_set_sink(&r->console, NULL, NULL);
		event_loop_remove(r->loop, r->vm->event_fd);
		vm_destroy(r->vm);
		r->vm = NULL;
		if (ret < 0)
			return ret;
		if (r->exit != VM_EXIT_RESET)
			return r->exit == VM_EXIT_ERROR ? -EIO : 0;
		log_info("resetting the VM");
		r->exit = VM_EXIT_NONE;
	}
}

static int cmd_run(int argc, char **argv)
{
	struct runner r = { .sig_fd = -1 };
	struct vm_config cfg;
	char err[512] = "";
	int ret;

	ret = cli_parse_run(argc, argv, &cfg, err, sizeof(err));
	if (ret == 1) {
		fputs(err, stdout);
		return 0;
	}
	if (ret < 0) {
		fprintf(stderr, "vmm: error: %s\n", err);
		return 2;
	}
	ret = event_loop_create(&r.loop);
	if (ret < 0)
		goto out;
	ret = setup_signals(&r);
	if (ret < 0)
		goto out_loop;
	ret = event_loop_add(r.loop, r.sig_fd, EPOLLIN, on_signal, &r);
	if (ret < 0)
		goto out_loop;
	ret = console_init(&r.console, r.loop, STDIN_FILENO, STDOUT_FILENO);
	if (ret < 0)
		goto out_loop;
	ret = run_vm(&r, &cfg);
	console_fini(&r.console);
	event_loop_destroy(r.loop);
	if (r.sig_fd >= 0)
		close(r.sig_fd);
	return ret < 0 ? 1 : 0;
out_loop:
	event_loop_destroy(r.loop);
out:
	if (r.sig_fd >= 0)
		close(r.sig_fd);
	fprintf(stderr, "vmm: error: cannot set up: %s\n", strerror(-ret));
	return 1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: vmm <command> [options]\n"
		   "commands:\n"
		   "  run       boot a virtual machine (vmm run --help)\n"
		   "  version   print the version\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
		printf("vmm %s\n", VMM_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "vmm: error: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
