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

#include "migration/kvm/migrate_in.h"
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
	runner_request_exit(ctx, VM_EXIT_UI);
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
	runner_request_exit(r, VM_EXIT_SIGNAL);
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
	struct json_object *d;
	const char *reason;

	if (r->exit == VM_EXIT_MIGRATED)
		return; /* the guest lives on at the destination */
	d = json_object_new_object();
	switch (r->exit) {
	/* QEMU's ShutdownCause names. */
	case VM_EXIT_POWEROFF: reason = "guest-shutdown"; break;
	case VM_EXIT_RESET: reason = "guest-reset"; break;
	case VM_EXIT_CRASH: reason = "guest-panic"; break;
	case VM_EXIT_SIGNAL: reason = "host-signal"; break;
	case VM_EXIT_UI: reason = "host-ui"; break;
	case VM_EXIT_ERROR: reason = "host-error"; break;
	default: reason = "host-qmp-quit"; break;
	}
	json_object_object_add(d, "guest", json_object_new_boolean(r->exit == VM_EXIT_POWEROFF ||
									r->exit == VM_EXIT_RESET ||
									r->exit == VM_EXIT_CRASH));
	json_object_object_add(d, "reason", json_object_new_string(reason));
	runner_emit(r, r->exit == VM_EXIT_RESET ? "RESET" : "SHUTDOWN", d);
}

int runner_start_vm(struct runner *r)
{
	int ret = event_loop_add(r->loop, r->vm->event_fd, EPOLLIN, on_vm_event, r);

	if (ret == 0) {
		ret = vm_start(r->vm);
		if (ret < 0)
			event_loop_remove(r->loop, r->vm->event_fd);
	}
	if (ret < 0)
		return ret;
	r->paused = false;
	log_debug("vCPUs started %.1f ms after the process started", process_ms());
	console_set_sink(&r->console, &runner_sink, r);
	return 0;
}

/* ---- incoming migration ---------------------------------------------------------- */

static void in_event(void *ctx, const char *name, struct json_object *data)
{
	runner_emit(ctx, name, data);
}

static int in_take_vm(void *ctx, struct vm *vm, const struct vm_config_state *cfg_storage)
{
	struct runner *r = ctx;
	int ret;

	*r->in_cfg = *cfg_storage;
	config_state_to(r->in_cfg, r->in_vm_cfg);
	r->in_vm_cfg->api_socket = NULL;
	/* The disks came with the stream; a guest reset here opens them as usual. */
	r->in_vm_cfg->nr_disks = vm->cfg.nr_disks;
	memcpy(r->in_vm_cfg->disks, vm->cfg.disks, sizeof(vm->cfg.disks));
	r->in_vm_cfg->disks_defer_open = false;
	vm->cfg = *r->in_vm_cfg;
	r->vm = vm;
	ret = runner_start_vm(r);
	if (ret < 0) {
		log_err("cannot start the incoming VM: %s", strerror(-ret));
		r->vm = NULL;
		return ret;
	}
	runner_emit(r, "RESUME", NULL);
	/* device_del requests the source completed while it migrated the guest. */
	vm_announce_migrated_unplugs(vm);
	return 0;
}

static void in_finished(void *ctx, enum migrate_status st, const char *error)
{
	struct runner *r = ctx;

	r->in_done = true;
	if (st != MIGRATE_COMPLETED)
		snprintf(r->in_error, sizeof(r->in_error), "%s", error && *error ? error : migrate_status_name(st));
}

static const struct migrate_in_hooks in_hooks = {
	.event = in_event,
	.take_vm = in_take_vm,
	.finished = in_finished,
};

int runner_incoming_start(struct runner *r, const struct migrate_params *p, char *err, size_t errlen)
{
	if (!r->in_waiting || r->mig_in) {
		snprintf(err, errlen, "migrate-incoming needs a vmm started with --incoming defer, not yet receiving");
		return -EINVAL;
	}
	return migrate_in_start(p, &runner_hooks, r, r->loop, &in_hooks, r, &r->mig_in, err, errlen);
}

/* Runs the control loop until the incoming migration hands a running VM over. */
static int receive_vm(struct runner *r, const struct migrate_params *in, struct vm_config *cfg, char *err,
		      size_t errlen)
{
	int ret;

	r->in_vm_cfg = cfg;
	if (in->defer) {
		r->in_waiting = true; /* QMP migrate-incoming starts it (runner_incoming_start) */
		log_info("waiting for QMP migrate-incoming");
	} else {
		ret = migrate_in_start(in, &runner_hooks, r, r->loop, &in_hooks, r, &r->mig_in, err, errlen);
		if (ret < 0)
			return ret;
	}
	while (!r->vm && !(r->in_done && r->in_error[0]) && r->exit == VM_EXIT_NONE) {
		ret = event_loop_run_once(r->loop, -1);
		if (ret < 0) {
			snprintf(err, errlen, "event loop: %s", strerror(-ret));
			return ret;
		}
	}
	r->in_waiting = false;
	if (r->vm)
		return 0;
	if (r->exit != VM_EXIT_NONE) {
		snprintf(err, errlen, "stopped while waiting for the incoming migration");
		return -ECANCELED;
	}
	snprintf(err, errlen, "incoming migration failed: %.400s", r->in_error);
	return -EIO;
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
static int run_vms(struct runner *r, const struct vm_config *cfg_in, const char *restore_dir,
		   const struct migrate_params *incoming)
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
		bool started = false;

		if (incoming) {
			saved_cfg = calloc(1, sizeof(*saved_cfg));
			r->in_cfg = saved_cfg;
			ret = saved_cfg ? receive_vm(r, incoming, &cfg, err, sizeof(err)) : -ENOMEM;
			incoming = NULL;
			started = ret == 0;
			if (ret < 0 && r->exit != VM_EXIT_NONE && !r->vm) {
				/* A signal or quit while waiting: a clean end, not an error. */
				migrate_in_destroy(r->mig_in);
				r->mig_in = NULL;
				free(saved_cfg);
				return 0;
			}
		} else if (restore_dir) {
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
			migrate_in_destroy(r->mig_in);
			r->mig_in = NULL;
			free(plugged.cpus);
			free(saved_cfg);
			return ret;
		}
		for (i = 0; i < plugged.nr; i++)
			if (vm_cpu_set_plugged(r->vm, plugged.cpus[i].idx, plugged.cpus[i].id) < 0)
				log_warn("vCPU %u could not stay plugged across the reset", plugged.cpus[i].idx);
		if (!started) {
			ret = runner_start_vm(r);
			if (ret < 0) {
				fprintf(stderr, "vmm: error: cannot start the VM: %s\n", strerror(-ret));
				goto out_destroy;
			}
		}
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
		runner_migrate_fini(r);
		migrate_in_destroy(r->mig_in);
		r->mig_in = NULL;
		console_set_sink(&r->console, NULL, NULL);
		event_loop_remove(r->loop, r->vm->event_fd);
		if (ret == 0 && r->exit == VM_EXIT_RESET)
			remember_plugged(r->vm, &plugged);
		vm_destroy(r->vm);
		r->vm = NULL;
		if (ret < 0 || r->exit != VM_EXIT_RESET) {
			free(plugged.cpus);
			free(saved_cfg);
			free(r->mig_params);
			r->mig_params = NULL;
			if (ret == 0 && r->migrated)
				r->exit = VM_EXIT_MIGRATED;
			return ret < 0 ? ret : r->exit == VM_EXIT_ERROR ? -EIO : (int)r->exit;
		}
		log_info("resetting the VM");
		r->exit = VM_EXIT_NONE;
	}
}

/* Writes what the log fd takes of the lines vCPU threads logged; waits for EPOLLOUT if it is full. */
static void drain_log(struct runner *r)
{
	bool left = log_async_drain();

	if (r->log_polled && event_loop_modify(r->loop, log_get_fd(), left ? EPOLLOUT : 0) < 0)
		log_async_drain();
}

static void on_log_wake(struct event_loop *loop, int fd, uint32_t events, void *opaque)
{
	(void)loop;
	(void)fd;
	(void)events;
	drain_log(opaque);
}

/* vCPU threads never write the log fd themselves (a stalled stderr would stop the guest). */
static void log_async_setup(struct runner *r)
{
	r->log_wake_fd = log_async_start();
	if (r->log_wake_fd < 0)
		return; /* synchronous logging, as before */
	if (event_loop_add(r->loop, r->log_wake_fd, EPOLLIN, on_log_wake, r) < 0) {
		log_async_stop(0);
		r->log_wake_fd = -1;
		return;
	}
	/* A regular file cannot be polled (and never stalls). */
	r->log_polled = event_loop_add(r->loop, log_get_fd(), 0, on_log_wake, r) == 0;
}

static void log_async_teardown(struct runner *r)
{
	if (r->log_wake_fd < 0)
		return;
	if (r->log_polled)
		event_loop_remove(r->loop, log_get_fd());
	event_loop_remove(r->loop, r->log_wake_fd);
	log_async_stop(100);
	r->log_wake_fd = -1;
}

static int run(const struct vm_config *cfg, const char *restore_dir, const struct migrate_params *incoming)
{
	struct runner r = { .sig_fd = -1, .log_wake_fd = -1 };
	int ret;

	ret = event_loop_create(&r.loop);
	if (ret < 0)
		goto fail;
	log_async_setup(&r);
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
	ret = run_vms(&r, incoming ? NULL : cfg, restore_dir, incoming);
	api_stop(&r);
	console_fini(&r.console);
out_loop:
	log_async_teardown(&r);
	event_loop_destroy(r.loop);
	if (r.sig_fd >= 0)
		close(r.sig_fd);
	return ret;
fail_loop:
	log_async_teardown(&r);
	event_loop_destroy(r.loop);
fail:
	if (r.sig_fd >= 0)
		close(r.sig_fd);
	fprintf(stderr, "vmm: error: cannot set up: %s\n", strerror(-ret));
	return ret;
}

int runner_run(const struct vm_config *cfg, const char *restore_dir)
{
	return run(cfg, restore_dir, NULL);
}

int runner_run_incoming(const struct vm_config *cfg, const struct migrate_params *incoming)
{
	return run(cfg, NULL, incoming);
}
