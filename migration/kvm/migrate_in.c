// SPDX-License-Identifier: MIT
/*
 * The destination side of a live migration (migration/migrate.h). The incoming
 * thread accepts the channels and runs the receiver; its control-message handler
 * checks the offer exactly as a restore checks a snapshot (the compatibility
 * checker, host limits, the decoded state) before it builds the machine, builds
 * it with every possible vCPU (the disabled ones parked) before the vGIC, loads
 * the final state, and hands the VM to the control thread only when the source
 * has committed. Everything from the network is hostile input.
 */
#define LOG_PREFIX "migrate"
#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "migration/kvm/migrate_in.h"
#include "migration/kvm/vm_stream.h"
#include "migration/live/ctrl.h"
#include "migration/live/ram_receiver.h"
#include "migration/live/tls_creds.h"
#include "migration/live/wire.h"
#include "migration/vm/machine_state.h"
#include "vmm/core/clock.h"
#include "vmm/core/errbuf.h"
#include "vmm/core/eventfd.h"
#include "vmm/core/event_loop.h"
#include "vmm/core/log.h"
#include "vmm/kvm/save.h"
#include "vmm/kvm/virtio_disks.h"
#include "vmm/kvm/vm.h"

#define ACCEPT_POLL_MS 1000
#define CHANNEL_TIMEOUT_MS 10000
#define IO_TIMEOUT_MS 30000

struct migrate_in {
	struct migrate_params p;
	const struct vm_hooks *vm_hooks;
	void *vm_hooks_ctx;
	struct event_loop *loop;
	const struct migrate_in_hooks *hooks;
	void *ctx;
	int listen_fd;
	uint16_t port;
	pthread_t thread;
	int mail_fd;

	pthread_mutex_t lock; /* what the control thread reads or hands back */
	pthread_cond_t cond;
	bool stop;
	bool take_pending, take_done, reported;
	int take_ret;
	struct ram_receiver *rx;
	struct migrate_stats st;
	char events[8][16];
	unsigned nevents;

	/* Incoming thread only. */
	struct vm *vm;
	bool handed_over;
	struct vm_config_state cfg_storage; /* the offer's machine (the runner copies it) */
	struct ram_region region;
	uint64_t t0_ns, pause_ns;
	char err[512];
};

static void wake(struct migrate_in *m)
{
	eventfd_signal(m->mail_fd);
}

static void set_status(struct migrate_in *m, enum migrate_status st)
{
	pthread_mutex_lock(&m->lock);
	if (m->st.status != st && m->nevents < 8) {
		snprintf(m->events[m->nevents++], sizeof(m->events[0]), "%s", migrate_status_name(st));
	}
	m->st.status = st;
	pthread_mutex_unlock(&m->lock);
	wake(m);
}

static int refuse(struct ram_receiver *r, unsigned kind, const char *why, struct mig_err *e)
{
	struct mig_err ignore;

	mig_err_set(e, "%s", why);
	if (ram_receiver_ctrl_send(r, kind, why, strlen(why), &ignore) == 0 && ram_receiver_flush(r, &ignore))
		log_debug("the refusal did not reach the source: %s", ignore.msg);
	return -EPERM;
}

static int on_offer(struct migrate_in *m, struct ram_receiver *r, const uint8_t *data, size_t len,
		    struct mig_err *e)
{
	struct ctrl_offer o;
	struct vm_saved *s = NULL;
	struct vm_config cfg;
	char err[1024] = "";
	uint64_t t0 = clock_now_ns();
	uint8_t reply[4];
	uint32_t us;
	int ret;

	if (m->vm)
		return refuse(r, CTRL_REFUSE, "a second offer", e);
	ret = ctrl_offer_parse(data, len, &o, e);
	if (ret)
		return refuse(r, CTRL_REFUSE, e->msg, e);
	ret = vm_stream_load(o.state, o.state_len, "migration", &s, &cfg, err, sizeof(err));
	if (!ret)
		ret = vm_stream_check_host(&cfg, "migration", err, sizeof(err));
	if (!ret)
		ret = vm_stream_check_compat(o.state, o.state_len, "migration", err, sizeof(err));
	if (!ret && s->config.mem_size != o.ram_size) {
		snprintf(err, sizeof(err), "the offer's RAM size %llu differs from its machine's %llu",
			 (unsigned long long)o.ram_size, (unsigned long long)s->config.mem_size);
		ret = -EINVAL;
	}
	if (!ret) {
		struct vm_config none = { 0 };

		m->cfg_storage = s->config;
		config_state_to(&m->cfg_storage, &cfg);
		/* Shared storage: the source's disks, opened (and locked) only at the switchover. */
		ret = vm_disks_cfg_from_saved(s, &none, &cfg, err, sizeof(err));
		cfg.disks_defer_open = true;
	}
	if (!ret) {
		/* Every possible vCPU created, the disabled ones parked, then the vGIC (vm_create_ex). */
		ret = vm_create_ex(&cfg, m->vm_hooks, m->vm_hooks_ctx, VM_MEM_INCOMING, &m->vm, err, sizeof(err));
	}
	if (!ret) {
		ret = vm_state_check(m->vm, s, err, sizeof(err));
		if (ret) {
			vm_destroy(m->vm);
			m->vm = NULL;
		}
	}
	vm_saved_free(s);
	if (ret) {
		log_err("refusing the incoming VM: %s", err);
		return refuse(r, CTRL_REFUSE, err, e);
	}
	m->region = (struct ram_region){
		.gpa = m->vm->ram_gpa, .size = m->vm->ram_size, .host = m->vm->ram,
		.written = calloc((m->vm->ram_size / 4096 + 63) / 64, sizeof(uint64_t)),
	};
	if (!m->region.written)
		return refuse(r, CTRL_REFUSE, "out of memory", e);
	ram_receiver_set_regions(r, &m->region, 1);
	us = (uint32_t)((clock_now_ns() - t0) / 1000);
	wire_put32(reply, us);
	pthread_mutex_lock(&m->lock);
	m->st.ram_total = m->vm->ram_size;
	m->st.setup_ms = (clock_now_ns() - m->t0_ns) / 1000000;
	pthread_mutex_unlock(&m->lock);
	set_status(m, MIGRATE_ACTIVE);
	log_info("accepted a VM of %u vCPUs (%u at boot) and %llu MiB", m->cfg_storage.max_vcpus,
		 m->cfg_storage.boot_vcpus, (unsigned long long)(m->cfg_storage.mem_size >> 20));
	return ram_receiver_ctrl_send(r, CTRL_ACCEPT, reply, sizeof(reply), e);
}

static int on_state(struct migrate_in *m, struct ram_receiver *r, const uint8_t *data, size_t len,
		    struct mig_err *e)
{
	struct vm_saved *s = NULL;
	struct vm_config cfg;
	char err[1024] = "";
	uint64_t t0 = clock_now_ns();
	uint8_t reply[4];
	uint32_t us;
	int ret;

	if (!m->vm)
		return refuse(r, CTRL_FAILED, "state before an accepted offer", e);
	m->pause_ns = t0;
	set_status(m, MIGRATE_DEVICE);
	ret = vm_stream_load(data, len, "migration", &s, &cfg, err, sizeof(err));
	if (!ret && memcmp(&s->config, &m->cfg_storage, sizeof(s->config))) {
		snprintf(err, sizeof(err), "the final state describes another machine than the offer");
		ret = -EINVAL;
	}
	/* The topology may differ from the offer's: vCPUs plugged or unplugged meanwhile. */
	if (!ret)
		ret = vm_state_check(m->vm, s, err, sizeof(err));
	/* The source released its disks' locks before it sent the state: take them now, before the
	 * devices' state is applied and the acknowledgement sent, so a disk this host cannot open
	 * fails the migration and the source runs on. */
	if (!ret)
		ret = vm_disks_acquire_at_switchover(m->vm, err, sizeof(err));
	if (!ret)
		ret = vm_state_apply(m->vm, s, err, sizeof(err));
	vm_saved_free(s);
	if (ret) {
		log_err("cannot load the incoming state: %s", err);
		return refuse(r, CTRL_FAILED, err, e);
	}
	us = (uint32_t)((clock_now_ns() - t0) / 1000);
	wire_put32(reply, us);
	return ram_receiver_ctrl_send(r, CTRL_LOADED, reply, sizeof(reply), e);
}

/* The source will not resume: hand the VM to the control thread, which starts it. */
static int on_commit(struct migrate_in *m, struct ram_receiver *r, struct mig_err *e)
{
	int ret;

	if (!m->vm || m->handed_over)
		return refuse(r, CTRL_FAILED, "commit before the state was loaded", e);
	pthread_mutex_lock(&m->lock);
	m->take_pending = true;
	m->take_done = false;
	pthread_mutex_unlock(&m->lock);
	wake(m);
	pthread_mutex_lock(&m->lock);
	while (!m->take_done)
		pthread_cond_wait(&m->cond, &m->lock);
	ret = m->take_ret;
	pthread_mutex_unlock(&m->lock);
	if (ret) {
		char why[256];

		snprintf(why, sizeof(why), "cannot start the guest: %s", strerror(-ret));
		return refuse(r, CTRL_FAILED, why, e);
	}
	m->handed_over = true;
	pthread_mutex_lock(&m->lock);
	m->st.downtime_ms = (clock_now_ns() - m->pause_ns) / 1000000;
	pthread_mutex_unlock(&m->lock);
	return ram_receiver_ctrl_send(r, CTRL_RUNNING, NULL, 0, e);
}

static int on_ctrl(void *ctx, struct ram_receiver *r, unsigned kind, const uint8_t *data, size_t len,
		   struct mig_err *e)
{
	struct migrate_in *m = ctx;
	char why[1024];

	switch (kind) {
	case CTRL_OFFER:
		return on_offer(m, r, data, len, e);
	case CTRL_STATE:
		return on_state(m, r, data, len, e);
	case CTRL_COMMIT:
		return on_commit(m, r, e);
	case CTRL_CANCEL:
		if (ctrl_parse_text(data, len, why, sizeof(why), e))
			return -EBADMSG;
		mig_err_set(e, "the source cancelled the migration: %s", why);
		return -ECANCELED;
	default:
		mig_err_set(e, "unexpected control message '%s' from the source", ctrl_kind_name(kind));
		return -EPROTO;
	}
}

static bool stopping(struct migrate_in *m)
{
	return __atomic_load_n(&m->stop, __ATOMIC_ACQUIRE);
}

/* Channel 0 (waiting as long as it takes; a refused handshake is logged and the wait goes on), then the rest. */
static int accept_all(struct migrate_in *m, struct tls_creds *creds, struct channel **chans, unsigned *n,
		      struct mig_err *e)
{
	struct channel_cfg cfg = {
		.tls = creds, .plain = m->p.plain, .ktls = m->p.ktls, .timeout_ms = CHANNEL_TIMEOUT_MS,
	};
	unsigned i, count;
	int ret;

	for (;;) {
		struct pollfd pfd = { .fd = m->listen_fd, .events = POLLIN };
		struct mig_err err = { "" };

		if (stopping(m)) {
			mig_err_set(e, "stopped while waiting for the source");
			return -ECANCELED;
		}
		ret = poll(&pfd, 1, ACCEPT_POLL_MS);
		if (ret < 0 && errno != EINTR) {
			ret = -errno;
			mig_err_set(e, "poll on the listening socket: %s", strerror(-ret));
			return ret;
		}
		if (ret <= 0)
			continue;
		if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL)) {
			mig_err_set(e, "the listening socket was closed");
			return -ECANCELED;
		}
		ret = channel_accept(&chans[0], m->listen_fd, &cfg, &err);
		if (!ret)
			break;
		/* A port scan, a client with the wrong certificate, plain TCP to TLS: the wait goes on. */
		log_warn("refused a connection: %s", err.msg);
	}
	count = channel_count(chans[0]);
	if (count < 1 || count > MIGRATE_MAX_CONNECTIONS) {
		mig_err_set(e, "the source announces %u connections (1 to %u allowed)", count, MIGRATE_MAX_CONNECTIONS);
		channel_destroy(chans[0]);
		return -EPROTO;
	}
	cfg.timeout_ms = CHANNEL_TIMEOUT_MS;
	for (i = 1; i < count; i++) {
		ret = channel_accept(&chans[i], m->listen_fd, &cfg, e);
		if (ret) {
			mig_err_prefix(e, "connection %u of %u", i + 1, count);
			while (i--)
				channel_destroy(chans[i]);
			return ret;
		}
	}
	*n = count;
	return 0;
}

static int receive(struct migrate_in *m)
{
	struct mig_err merr = { "" };
	struct tls_creds *creds = NULL;
	struct channel *chans[MIGRATE_MAX_CONNECTIONS];
	struct ram_receiver_cfg rcfg = { .timeout_ms = IO_TIMEOUT_MS, .on_ctrl = on_ctrl, .ctrl_ctx = m };
	struct ram_receiver *r = NULL;
	unsigned n = 0;
	int ret;

	if (!m->p.plain) {
		ret = tls_creds_load(&creds, m->p.tls_dir, TLS_ROLE_SERVER, &merr);
		if (ret)
			goto out;
	}
	ret = accept_all(m, creds, chans, &n, &merr);
	if (ret)
		goto out;
	m->t0_ns = clock_now_ns();
	set_status(m, MIGRATE_SETUP);
	ret = ram_receiver_create(&r, chans, n, &rcfg, &merr);
	if (ret)
		goto out;
	pthread_mutex_lock(&m->lock);
	m->rx = r;
	m->st.connections = n;
	m->st.tls = !m->p.plain;
	pthread_mutex_unlock(&m->lock);
	ret = ram_receiver_run(r, &merr);
	if (ret && m->handed_over) {
		log_warn("the guest runs here; the end of the stream was not clean: %s", merr.msg);
		ret = 0;
	} else if (!ret && !m->handed_over) {
		mig_err_set(&merr, "the stream ended before the source committed");
		ret = -EPROTO;
	}
	if (r) {
		const struct ram_xfer_stats *x = ram_receiver_stats(r);

		pthread_mutex_lock(&m->lock);
		m->st.ram_transferred = x->wire_bytes;
		m->st.ram_normal_pages = x->pages - x->zero_pages;
		m->st.ram_duplicate_pages = x->zero_pages;
		m->st.ram_normal_bytes = x->raw_bytes;
		m->st.passes = ram_receiver_passes(r);
		pthread_mutex_unlock(&m->lock);
	}
out:
	if (ret)
		snprintf(m->err, sizeof(m->err), "%s", merr.msg[0] ? merr.msg : strerror(-ret));
	pthread_mutex_lock(&m->lock);
	m->rx = NULL;
	pthread_mutex_unlock(&m->lock);
	ram_receiver_destroy(r);
	tls_creds_destroy(creds);
	if (!m->handed_over) {
		vm_destroy(m->vm);
		m->vm = NULL;
	}
	free(m->region.written);
	m->region.written = NULL;
	return ret;
}

static void *incoming_thread(void *arg)
{
	struct migrate_in *m = arg;
	int ret;

	pthread_setname_np(pthread_self(), "incoming");
	ret = receive(m);
	if (ret)
		log_err("incoming migration failed: %s", m->err);
	else
		log_info("incoming migration completed");
	pthread_mutex_lock(&m->lock);
	m->st.total_ms = m->t0_ns ? (clock_now_ns() - m->t0_ns) / 1000000 : 0;
	if (ret)
		snprintf(m->st.error, sizeof(m->st.error), "%s", m->err);
	pthread_mutex_unlock(&m->lock);
	set_status(m, ret ? MIGRATE_FAILED : MIGRATE_COMPLETED);
	return NULL;
}

/* ---- control thread ------------------------------------------------------------ */

static void on_mail(struct event_loop *loop, int fd, uint32_t events, void *opaque)
{
	struct migrate_in *m = opaque;
	char evs[8][16], err[512];
	unsigned n, i;
	bool take, report;
	enum migrate_status st;
	(void)loop;
	(void)events;
	eventfd_drain(fd);
	pthread_mutex_lock(&m->lock);
	take = m->take_pending;
	m->take_pending = false;
	n = m->nevents;
	memcpy(evs, m->events, sizeof(evs));
	m->nevents = 0;
	st = m->st.status;
	report = migrate_status_finished(st) && st != MIGRATE_NONE && !m->reported;
	if (report)
		m->reported = true;
	snprintf(err, sizeof(err), "%s", m->st.error);
	pthread_mutex_unlock(&m->lock);
	if (take) {
		/* The incoming thread waits on take_done and does not touch m->vm meanwhile. */
		int ret = m->hooks->take_vm(m->ctx, m->vm, &m->cfg_storage);

		pthread_mutex_lock(&m->lock);
		m->take_ret = ret;
		m->take_done = true;
		pthread_cond_broadcast(&m->cond);
		pthread_mutex_unlock(&m->lock);
	}
	for (i = 0; i < n; i++) {
		struct json_object *d = json_object_new_object();

		json_object_object_add(d, "status", json_object_new_string(evs[i]));
		m->hooks->event(m->ctx, "MIGRATION", d);
	}
	if (report) {
		pthread_join(m->thread, NULL);
		m->thread = 0;
		m->hooks->finished(m->ctx, st, err);
	}
}

int migrate_in_start(const struct migrate_params *p, const struct vm_hooks *vm_hooks, void *vm_hooks_ctx,
		     struct event_loop *loop, const struct migrate_in_hooks *hooks, void *ctx, struct migrate_in **out,
		     char *errbuf, size_t errlen)
{
	struct mig_err merr = { "" };
	struct migrate_in *m;
	int ret;

	if (!p->plain && !p->tls_dir[0]) {
		ERR("--incoming needs --tls-dir (or --plain for explicitly unencrypted TCP)");
		return -EINVAL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->p = *p;
	m->vm_hooks = vm_hooks;
	m->vm_hooks_ctx = vm_hooks_ctx;
	m->loop = loop;
	m->hooks = hooks;
	m->ctx = ctx;
	m->listen_fd = m->mail_fd = -1;
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->cond, NULL);
	if (!p->plain) {
		/* The credentials are checked now, so a bad directory fails at start, not at the first connection. */
		struct tls_creds *c = NULL;

		ret = tls_creds_load(&c, p->tls_dir, TLS_ROLE_SERVER, &merr);
		tls_creds_destroy(c);
		if (ret) {
			ERR("%s", merr.msg);
			goto err_free;
		}
	}
	ret = channel_listen(p->host[0] ? p->host : NULL, p->port, &m->listen_fd, &m->port, &merr);
	if (ret) {
		ERR("cannot listen on %s:%u: %s", p->host[0] ? p->host : "*", p->port, merr.msg);
		goto err_free;
	}
	m->mail_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (m->mail_fd < 0) {
		ret = -errno;
		ERR("eventfd: %s", strerror(-ret));
		goto err_close;
	}
	ret = event_loop_add(loop, m->mail_fd, EPOLLIN, on_mail, m);
	if (ret) {
		ERR("cannot watch the incoming migration: %s", strerror(-ret));
		goto err_close;
	}
	ret = -pthread_create(&m->thread, NULL, incoming_thread, m);
	if (ret) {
		ERR("cannot start the incoming migration thread: %s", strerror(-ret));
		event_loop_remove(loop, m->mail_fd);
		goto err_close;
	}
	log_info("waiting for an incoming migration on %s:%u (%s)", p->host[0] ? p->host : "*", m->port,
		 p->plain ? "plain TCP" : "TLS");
	*out = m;
	return 0;
err_close:
	if (m->mail_fd >= 0)
		close(m->mail_fd);
	close(m->listen_fd);
err_free:
	pthread_mutex_destroy(&m->lock);
	pthread_cond_destroy(&m->cond);
	free(m);
	return ret;
}

uint16_t migrate_in_port(const struct migrate_in *m)
{
	return m->port;
}

void migrate_in_stats(struct migrate_in *m, struct migrate_stats *st)
{
	pthread_mutex_lock(&m->lock);
	*st = m->st;
	pthread_mutex_unlock(&m->lock);
}

void migrate_in_destroy(struct migrate_in *m)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	__atomic_store_n(&m->stop, true, __ATOMIC_RELEASE);
	if (m->rx && !m->handed_over)
		ram_receiver_abort(m->rx);
	pthread_mutex_unlock(&m->lock);
	shutdown(m->listen_fd, SHUT_RDWR);
	if (m->thread) {
		/* Serve a hand-over the thread may be waiting for: refuse it, the VM is ending. */
		for (;;) {
			bool done;

			pthread_mutex_lock(&m->lock);
			if (m->take_pending) {
				m->take_pending = false;
				m->take_ret = -ECANCELED;
				m->take_done = true;
				pthread_cond_broadcast(&m->cond);
			}
			done = migrate_status_finished(m->st.status) && m->st.status != MIGRATE_NONE;
			pthread_mutex_unlock(&m->lock);
			if (done)
				break;
			usleep(1000);
		}
		pthread_join(m->thread, NULL);
	}
	event_loop_remove(m->loop, m->mail_fd);
	close(m->mail_fd);
	close(m->listen_fd);
	pthread_mutex_destroy(&m->lock);
	pthread_cond_destroy(&m->cond);
	free(m);
}
