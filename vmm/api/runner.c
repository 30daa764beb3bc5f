// SPDX-License-Identifier: MIT
#define LOG_PREFIX "vmm"
#include <errno.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "migration/snapshot.h"
#include "migration/vm/machine_state.h"
#include "vmm/api/api.h"
#include "vmm/api/runner.h"
#include "vmm/core/event_loop.h"
#include "vmm/core/log.h"
#include "vmm/qmp/qmp.h"

/* Milliseconds since this process started (CLOCK_MONOTONIC vs. /proc/self/stat). */
static double process_ms(void)
{
	unsigned long long start_ticks = 0;
	struct timespec now;
	char buf[1024], *p;
	FILE *f = fopen("/proc/self/stat", "r");
	size_t n;
	int i;

	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	/* Field 22 (starttime), counting from the state field (3) after the ')'. */
	for (i = 3; p && i <= 22; i++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p - 0, " %llu", &start_ticks) != 1)
		return -1;
	clock_gettime(CLOCK_BOOTTIME, &now);
	return (double)now.tv_sec * 1e3 + now.tv_nsec / 1e6 - (double)start_ticks * 1e3 / (double)sysconf(_SC_CLK_TCK);
}

static void hook_output(void *ctx, uint8_t byte)
{
	struct runner *r = ctx;

	console_output(&r->console, byte);
}

static void hook_rx_space(void *ctx)
{
	struct runner *r = ctx;

	console_wake(&r->console);
}

static void hook_device_deleted(void *ctx, const char *id, const char *qom_path)
{
	struct json_object *d = json_object_new_object();

	json_object_object_add(d, "device", json_object_new_string(id));
	json_object_object_add(d, "path", json_object_new_string(qom_path));
	runner_emit(ctx, "DEVICE_DELETED", d);
}

static void hook_acpi_ost(void *ctx, unsigned vcpu, const char *id, uint32_t event, uint32_t status)
{
	struct json_object *d = json_object_new_object(), *info = json_object_new_object();
	char slot[16];

	snprintf(slot, sizeof(slot), "%u", vcpu);
	if (id && *id)
		json_object_object_add(info, "device", json_object_new_string(id));
	json_object_object_add(info, "slot", json_object_new_string(slot));
	json_object_object_add(info, "slot-type", json_object_new_string("CPU"));
	json_object_object_add(info, "source", json_object_new_int64(event));
	json_object_object_add(info, "status", json_object_new_int64(status));
	json_object_object_add(d, "info", info);
	runner_emit(ctx, "ACPI_DEVICE_OST", d);
}

static const struct vm_hooks runner_hooks = {
	.output = hook_output,
	.rx_space = hook_rx_space,
	.device_deleted = hook_device_deleted,
	.acpi_ost = hook_acpi_ost,
};

void runner_emit(struct runner *r, const char *event, struct json_object *data)
{
	if (!r->qmp) {
		json_object_put(data);
		return;
	}
	if (qmp_server_emit_event(r->qmp, event, data) < 0)
		log_warn("cannot send the %s event", event);
}

void runner_request_exit(struct runner *r, enum vm_exit why)
{
	if (r->exit == VM_EXIT_NONE)
		r->exit = why;
}

static size_t sink_feed(void *ctx, const uint8_t *buf, size_t len)
{
	struct runner *r = ctx;

	return r->vm ? pl011_receive(&r->vm->uart, buf, len) : 0;
}

static void sink_quit(void *ctx)
{
	runner_request_exit(ctx, VM_EXIT_SHUTDOWN);
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
	if (why != VM_EXIT_NONE)
		runner_request_exit(r, why);
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
	runner_request_exit(r, VM_EXIT_SHUTDOWN);
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

static void emit_end(struct runner *r)
{
	struct json_object *d = json_object_new_object();
	const char *reason;

	switch (r->exit) {
	case VM_EXIT_POWEROFF: reason = "guest-shutdown"; break;
	case VM_EXIT_RESET: reason = "guest-reset"; break;
	case VM_EXIT_ERROR: reason = "guest-panic"; break;
	default: reason = "host-qmp-quit"; break;
	}
	json_object_object_add(d, "guest", json_object_new_boolean(r->exit == VM_EXIT_POWEROFF ||
									r->exit == VM_EXIT_RESET));
	json_object_object_add(d, "reason", json_object_new_string(reason));
	runner_emit(r, r->exit == VM_EXIT_RESET ? "RESET" : "SHUTDOWN", d);
}

/* vCPUs plugged at run time stay plugged across a guest reset, as on real hardware. */
struct plugged {
	unsigned nr;
	struct {
		unsigned idx;
		char id[32];
	} *cpus;
};

static void remember_plugged(struct vm *vm, struct plugged *p)
{
	unsigned i;

	free(p->cpus);
	p->nr = 0;
	p->cpus = calloc(vm->max_vcpus, sizeof(*p->cpus));
	if (!p->cpus)
		return;
	for (i = 0; i < vm->max_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		pthread_mutex_lock(&v->lock);
		if (v->admin == VCPU_ENABLED && !v->cold_booted && !v->eject_pending) {
			p->cpus[p->nr].idx = i;
			snprintf(p->cpus[p->nr].id, sizeof(p->cpus[p->nr].id), "%s", v->dev_id);
			p->nr++;
		}
		pthread_mutex_unlock(&v->lock);
	}
}

/* Boots the VM; a guest reset rebuilds it and boots again. */
static int run_vms(struct runner *r, const struct vm_config *cfg_in, const char *restore_dir)
{
	struct plugged plugged = { 0 };
	struct vm_config_state *saved_cfg = NULL;
	struct vm_config cfg = { 0 };
	char err[512] = "";
	unsigned i;
	int ret;

	if (cfg_in)
		cfg = *cfg_in;
	for (;;) {
		if (restore_dir) {
			saved_cfg = calloc(1, sizeof(*saved_cfg));
			ret = saved_cfg ? vm_snapshot_restore(restore_dir, &runner_hooks, r, &cfg, saved_cfg, &r->vm, err,
							      sizeof(err))
					: -ENOMEM;
			restore_dir = NULL;
		} else {
			ret = vm_create(&cfg, &runner_hooks, r, &r->vm, err, sizeof(err));
		}
		if (ret < 0) {
			fprintf(stderr, "vmm: error: %s\n", err[0] ? err : strerror(-ret));
			free(plugged.cpus);
			free(saved_cfg);
			return ret;
		}
		for (i = 0; i < plugged.nr; i++)
			if (vm_cpu_set_plugged(r->vm, plugged.cpus[i].idx, plugged.cpus[i].id) < 0)
				log_warn("vCPU %u could not stay plugged across the reset", plugged.cpus[i].idx);
		ret = event_loop_add(r->loop, r->vm->event_fd, EPOLLIN, on_vm_event, r);
		if (ret == 0)
			ret = vm_start(r->vm);
		if (ret < 0) {
			fprintf(stderr, "vmm: error: cannot start the VM: %s\n", strerror(-ret));
			goto out_destroy;
		}
		r->paused = false;
		log_debug("vCPUs started %.1f ms after the process started", process_ms());
		console_set_sink(&r->console, &runner_sink, r);
		while (r->exit == VM_EXIT_NONE) {
			ret = event_loop_run_once(r->loop, -1);
			if (ret < 0) {
				fprintf(stderr, "vmm: error: event loop: %s\n", strerror(-ret));
				r->exit = VM_EXIT_ERROR;
			}
		}
		ret = 0;
		emit_end(r);
out_destroy:
		console_set_sink(&r->console, NULL, NULL);
		event_loop_remove(r->loop, r->vm->event_fd);
		if (ret == 0 && r->exit == VM_EXIT_RESET)
			remember_plugged(r->vm, &plugged);
		vm_destroy(r->vm);
		r->vm = NULL;
		if (ret < 0 || r->exit != VM_EXIT_RESET) {
			free(plugged.cpus);
			free(saved_cfg);
			return ret < 0 ? ret : r->exit == VM_EXIT_ERROR ? -EIO : 0;
		}
		log_info("resetting the VM");
		r->exit = VM_EXIT_NONE;
	}
}

int runner_run(const struct vm_config *cfg, const char *restore_dir)
{
	struct runner r = { .sig_fd = -1 };
	int ret;

	ret = event_loop_create(&r.loop);
	if (ret < 0)
		goto fail;
	ret = setup_signals(&r);
	if (ret == 0)
		ret = event_loop_add(r.loop, r.sig_fd, EPOLLIN, on_signal, &r);
	if (ret < 0)
		goto fail_loop;
	ret = console_init(&r.console, r.loop, STDIN_FILENO, STDOUT_FILENO);
	if (ret < 0)
		goto fail_loop;
	if (cfg->api_socket) {
		ret = api_start(&r, cfg->api_socket);
		if (ret < 0) {
			fprintf(stderr, "vmm: error: --api-socket %s: %s\n", cfg->api_socket,
				ret == -EADDRINUSE ? "another VM is already listening there" : strerror(-ret));
			console_fini(&r.console);
			goto out_loop;
		}
	}
	/* For a restore, cfg carries only the overrides (vmm restore --disk). */
	ret = run_vms(&r, cfg, restore_dir);
	api_stop(&r);
	console_fini(&r.console);
out_loop:
	event_loop_destroy(r.loop);
	if (r.sig_fd >= 0)
		close(r.sig_fd);
	return ret;
fail_loop:
	event_loop_destroy(r.loop);
fail:
	if (r.sig_fd >= 0)
		close(r.sig_fd);
	fprintf(stderr, "vmm: error: cannot set up: %s\n", strerror(-ret));
	return ret;
}
