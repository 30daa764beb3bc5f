// SPDX-License-Identifier: MIT
/*
 * The source side of a live migration (migration/migrate.h): the migration thread
 * drives the transport and the pre-copy passes; what must happen on the control
 * thread (pausing, collecting state, resuming) goes through a one-slot mailbox
 * that the control loop serves (migrate_out_mailbox.c), so it serialises with QMP
 * hot-plug requests.
 */
#define LOG_PREFIX "migrate"
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "migration/kvm/migrate_out.h"
#include "migration/kvm/migrate_out_mailbox.h"
#include "migration/live/compress_ctl.h"
#include "migration/live/ctrl.h"
#include "migration/live/dirty_bitmap.h"
#include "migration/live/precopy.h"
#include "migration/live/ram_sender.h"
#include "migration/live/tls_creds.h"
#include "vmm/core/clock.h"
#include "vmm/core/errbuf.h"
#include "vmm/core/eventfd.h"
#include "vmm/core/event_loop.h"
#include "vmm/core/log.h"
#include "vmm/kvm/dirty_log.h"
#include "vmm/kvm/vm.h"

#define CONNECT_TIMEOUT_MS 10000
#define IO_TIMEOUT_MS 30000
#define BATCH_WORDS (PAGE_BATCH_MAX_PAGES / 64)

static bool cancelled(struct migrate_out *m)
{
	return __atomic_load_n(&m->cancel, __ATOMIC_ACQUIRE);
}

/* Every page set in `dirty`, taken (cleared) a batch at a time. */
static int send_dirty(struct migrate_out *m, struct ram_sender *s, struct dirty_bitmap *dirty, uint64_t *raw,
		      struct mig_err *e)
{
	struct vm *vm = m->vm;
	uint64_t cursor = 0, words[BATCH_WORDS], n;

	while ((n = dirty_bitmap_take(dirty, &cursor, words, BATCH_WORDS)) > 0) {
		uint64_t first_page = (cursor - n) * 64, npages = n * 64, i, set = 0;
		int ret;

		if (first_page + npages > dirty->npages)
			npages = dirty->npages - first_page;
		for (i = 0; i < n; i++)
			set += (uint64_t)__builtin_popcountll(words[i]);
		if (!set)
			continue;
		ret = ram_sender_send(s, vm->ram_gpa + (first_page << DIRTY_PAGE_SHIFT),
				      vm->ram + (first_page << DIRTY_PAGE_SHIFT), DIRTY_PAGE_SHIFT, (unsigned)npages,
				      words, e);
		if (ret) {
			/* What was not sent goes back into the set (a failure resumes the guest anyway). */
			dirty_bitmap_merge(dirty, first_page, words, n);
			return ret;
		}
		*raw += set << DIRTY_PAGE_SHIFT;
		if (cancelled(m)) {
			mig_err_set(e, "cancelled");
			return -ECANCELED;
		}
	}
	return 0;
}

static void update_stats(struct migrate_out *m, struct ram_sender *s, const struct precopy *pc, uint64_t remaining,
			 uint64_t dirty_rate)
{
	const struct ram_xfer_stats *x = ram_sender_stats(s);
	uint64_t ms = (clock_now_ns() - m->t0_ns) / 1000000;

	pthread_mutex_lock(&m->lock);
	m->st.total_ms = ms;
	m->st.passes = pc->passes;
	m->st.ram_transferred = x->wire_bytes;
	m->st.ram_normal_pages = x->pages - x->zero_pages;
	m->st.ram_duplicate_pages = x->zero_pages;
	m->st.ram_normal_bytes = x->raw_bytes;
	m->st.ram_remaining = remaining;
	m->st.mbps = pc->bw_bytes_per_ms * 8.0 / 1000.0;
	m->st.expected_downtime_ms = pc->expected_downtime_ms;
	m->st.throttle_pct = pc->throttle_pct;
	m->st.dirty_pages_rate = dirty_rate;
	m->st.compression = x->wire_bytes ? (double)(x->pages << DIRTY_PAGE_SHIFT) / (double)x->wire_bytes : 0;
	pthread_mutex_unlock(&m->lock);
}

static int connect_all(struct migrate_out *m, struct tls_creds *creds, struct channel **chans, struct mig_err *e)
{
	struct channel_cfg cfg = {
		.tls = creds, .plain = m->p.plain, .ktls = m->p.ktls, .timeout_ms = CONNECT_TIMEOUT_MS,
		.count = m->p.connections,
	};
	FILE *r = fopen("/dev/urandom", "re");
	unsigned i;
	int ret;

	if (!r || fread(cfg.session, 1, sizeof(cfg.session), r) != sizeof(cfg.session)) {
		if (r)
			fclose(r);
		mig_err_set(e, "cannot read a session id from /dev/urandom");
		return -EIO;
	}
	fclose(r);
	for (i = 0; i < m->p.connections; i++) {
		cfg.index = i;
		ret = channel_connect(&chans[i], m->p.host, m->p.port, &cfg, e);
		if (ret) {
			while (i--)
				channel_destroy(chans[i]);
			return ret;
		}
	}
	return 0;
}

/* Sends a message and waits for the answer, which must be one of two kinds. */
static int exchange(struct ram_sender *s, unsigned kind, const void *data, size_t len, unsigned ok, unsigned bad,
		    const uint8_t **reply, size_t *rlen, struct mig_err *e)
{
	unsigned got;
	int ret = ram_sender_ctrl_send(s, kind, data, len, e);

	if (!ret)
		ret = ram_sender_ctrl_recv(s, &got, reply, rlen, e);
	if (ret)
		return ret;
	if (got == bad) {
		char why[2048];

		if (ctrl_parse_text(*reply, *rlen, why, sizeof(why), e) == 0)
			mig_err_set(e, "the destination refused: %s", why);
		return -EPERM;
	}
	if (got != ok) {
		mig_err_set(e, "the destination answered '%s' to '%s'", ctrl_kind_name(got), ctrl_kind_name(kind));
		return -EPROTO;
	}
	return 0;
}

/* The whole migration; returns 0 when the destination runs the guest. *acked tells
 * whether the destination acknowledged the state (the source must then never resume). */
static int run(struct migrate_out *m, bool *acked, char *errbuf, size_t errlen)
{
	struct vm *vm = m->vm;
	struct mig_err merr = { "" };
	struct tls_creds *creds = NULL;
	struct channel *chans[MIGRATE_MAX_CONNECTIONS];
	struct ram_sender *s = NULL;
	struct ram_sender_cfg scfg = { .zstd_level = m->p.zstd_level, .adaptive = !m->p.zstd_always, .max_inflight = 4,
				       .timeout_ms = IO_TIMEOUT_MS };
	struct kvm_dirty_log_slot dl = { 0 };
	struct dirty_bitmap dirty = { 0 };
	struct precopy pc;
	uint8_t *offer = NULL;
	const uint8_t *reply;
	size_t rlen;
	uint32_t pass = 0, us;
	uint64_t t, raw, wire0, remaining, rate = 0;
	uint64_t t_collect = 0, t_log = 0, t_sent = 0, t_ram = 0, t_state = 0, t_loaded = 0;
	uint64_t log_reads = 0, log_ns = 0, log_max_ns = 0; /* the pre-copy passes' dirty-log reads */
	size_t state_len = 0;
	int ret;

	*acked = false;
	if (!m->p.plain) {
		ret = tls_creds_load(&creds, m->p.tls_dir, TLS_ROLE_CLIENT, &merr);
		if (ret)
			goto fail;
	}
	ret = connect_all(m, creds, chans, &merr);
	if (ret)
		goto fail;
	pthread_mutex_lock(&m->lock);
	m->st.ktls = channel_ktls_tx(chans[0]);
	pthread_mutex_unlock(&m->lock);
	ret = ram_sender_create(&s, chans, m->p.connections, &scfg, &merr);
	if (ret)
		goto fail;
	pthread_mutex_lock(&m->lock);
	m->sender = s;
	m->st.tls = !m->p.plain;
	m->st.connections = m->p.connections;
	pthread_mutex_unlock(&m->lock);

	/* Handshake: the whole state, before any RAM. */
	ret = mig_mail_call(m, MAIL_COLLECT_OFFER, errbuf, errlen);
	if (ret)
		goto fail;
	{
		struct ctrl_offer o = {
			.version = CTRL_PROTOCOL_VERSION, .ram_size = vm->ram_size, .downtime_ms = m->p.downtime_ms,
		};
		size_t len = CTRL_OFFER_HDR_LEN + m->state.len;

		offer = malloc(len);
		if (!offer) {
			ret = -ENOMEM;
			mig_err_set(&merr, "out of memory");
			goto fail;
		}
		ctrl_offer_put_hdr(&o, offer);
		memcpy(offer + CTRL_OFFER_HDR_LEN, m->state.buf, m->state.len);
		precopy_init(&pc, m->p.downtime_ms);
		pc.pause_ms = m->op_ms;
		pc.state_bytes = m->state.len;
		t = clock_now_ns();
		ret = exchange(s, CTRL_OFFER, offer, len, CTRL_ACCEPT, CTRL_REFUSE, &reply, &rlen, &merr);
		free(offer);
		mig_writer_fini(&m->state);
		if (ret)
			goto fail;
		ret = ctrl_parse_u32(CTRL_ACCEPT, reply, rlen, &us, &merr);
		if (ret)
			goto fail;
		pc.dest_load_ms = us / 1000;
		pc.rtt_ms = ((clock_now_ns() - t) / 1000 - us) / 1000;
	}
	pthread_mutex_lock(&m->lock);
	m->st.setup_ms = (clock_now_ns() - m->t0_ns) / 1000000;
	m->st.ram_total = vm->ram_size;
	pthread_mutex_unlock(&m->lock);
	mig_mail_set_status(m, MIGRATE_ACTIVE);

	/* Pre-copy: every page, then what the guest and the VMM dirtied meanwhile. */
	ret = dirty_bitmap_init(&dirty, vm->ram_size);
	if (ret) {
		mig_err_set(&merr, "cannot allocate the dirty bitmap");
		goto fail;
	}
	ret = kvm_dirty_log_start(&dl, vm->vm_fd, 0, vm->ram_gpa, vm->ram, vm->ram_size);
	if (ret) {
		mig_err_set(&merr, "cannot start dirty logging: %s", strerror(-ret));
		goto fail;
	}
	__atomic_store_n(&vm->vmm_dirty, &dirty, __ATOMIC_RELEASE);
	dirty_bitmap_set_all(&dirty);
	for (;;) {
		bool hold;

		t = clock_now_ns();
		raw = 0;
		wire0 = ram_sender_stats(s)->wire_bytes;
		ret = send_dirty(m, s, &dirty, &raw, &merr);
		if (!ret)
			ret = ram_sender_sync(s, pass, &merr);
		if (ret)
			goto fail;
		t_log = clock_now_ns();
		ret = kvm_dirty_log_sync(&dl, &dirty, true);
		t_log = clock_now_ns() - t_log;
		log_reads++;
		log_ns += t_log;
		log_max_ns = MAX(log_max_ns, t_log);
		if (ret) {
			mig_err_set(&merr, "cannot read the dirty log: %s", strerror(-ret));
			goto fail;
		}
		remaining = dirty_bitmap_count(&dirty) << DIRTY_PAGE_SHIFT;
		{
			uint64_t ms = (clock_now_ns() - t) / 1000000;

			rate = ms ? (remaining >> DIRTY_PAGE_SHIFT) * 1000 / ms : 0;
			precopy_pass_done(&pc, raw, ram_sender_stats(s)->wire_bytes - wire0, ms, remaining);
		}
		update_stats(m, s, &pc, remaining, rate);
		pthread_mutex_lock(&m->lock);
		mig_mail_queue_event_locked(m, "MIGRATION_PASS", m->st.status, pass + 1);
		hold = m->hold;
		pc.downtime_limit_ms = m->p.downtime_ms;
		pthread_mutex_unlock(&m->lock);
		mig_mail_wake(m);
		pass++;
		if (cancelled(m)) {
			ret = -ECANCELED;
			mig_err_set(&merr, "cancelled");
			goto fail;
		}
		if (vm_throttle_set(vm, pc.throttle_pct) < 0)
			log_warn("cannot throttle the vCPUs; the migration may not converge");
		if (precopy_should_switch(&pc, remaining)) {
			if (!hold)
				break;
			mig_mail_set_status(m, MIGRATE_PRE_SWITCHOVER);
		}
	}

	/* Switchover: pause; then the last pages here while the control thread encodes the state. */
	mig_mail_set_status(m, MIGRATE_DEVICE);
	mig_mail_post(m, MAIL_SWITCHOVER);
	ret = mig_mail_wait(m, true, errbuf, errlen);
	if (ret) {
		mig_mail_wait(m, false, NULL, 0);
		goto fail;
	}
	t_collect = clock_now_ns();
	vm_throttle_stop(vm);
	raw = 0;
	ret = kvm_dirty_log_sync(&dl, &dirty, false);
	t_log = clock_now_ns();
	if (ret)
		mig_err_set(&merr, "cannot read the dirty log: %s", strerror(-ret));
	ram_sender_final(s);
	if (!ret)
		ret = send_dirty(m, s, &dirty, &raw, &merr);
	t_sent = clock_now_ns();
	if (!ret)
		ret = ram_sender_sync(s, pass, &merr);
	t_ram = clock_now_ns();
	/* The state (and the disks' hand-over) must be done before it is sent. */
	{
		int sret = mig_mail_wait(m, false, errbuf, errlen);

		if (!ret && sret) {
			ret = sret;
			goto fail;
		}
	}
	t_state = clock_now_ns();
	state_len = m->state.len;
	if (!ret)
		ret = exchange(s, CTRL_STATE, m->state.buf, m->state.len, CTRL_LOADED, CTRL_FAILED, &reply, &rlen, &merr);
	t_loaded = clock_now_ns();
	mig_writer_fini(&m->state);
	if (ret)
		goto fail;
	/* The acknowledgement: the destination owns the guest now. */
	*acked = true;
	{
		/* QEMU's "downtime": paused -> the destination has everything (its load time excluded). */
		uint64_t load_ns = 0;
		uint32_t load_us;

		if (ctrl_parse_u32(CTRL_LOADED, reply, rlen, &load_us, &merr) == 0)
			load_ns = (uint64_t)load_us * 1000;
		pthread_mutex_lock(&m->lock);
		m->acked = true;
		m->st.source_downtime_ms = (t_loaded - m->pause_ns > load_ns ? t_loaded - m->pause_ns - load_ns : 0) / 1000000;
		m->st.dest_load_ms = load_ns / 1000000;
		pthread_mutex_unlock(&m->lock);
	}
	ret = exchange(s, CTRL_COMMIT, NULL, 0, CTRL_RUNNING, CTRL_FAILED, &reply, &rlen, &merr);
	if (ret) {
		mig_err_prefix(&merr, "the destination acknowledged the state but did not confirm it runs the guest "
				      "(the guest stays paused here)");
		goto fail;
	}
	pthread_mutex_lock(&m->lock);
	m->st.downtime_ms = (clock_now_ns() - m->pause_ns) / 1000000;
	/* Where the downtime went, for whoever tunes it. */
	log_info("switchover: pause %.1f ms, then side by side the state %.1f ms (%zu bytes; vCPU registers %.1f ms, "
		 "GIC %.1f ms, devices %.1f ms) and the last %llu KiB "
		 "of RAM %.1f ms (the dirty log's read %.2f ms, handed to the channels at %.1f ms); "
		 "state to loaded %.1f ms (of which the destination's load %llu ms), commit to running %.1f ms",
		 (double)(m->paused_ns - m->pause_ns) / 1e6, (double)(m->op_end_ns - m->paused_ns) / 1e6, state_len,
		 (double)m->vm->collect_times.vcpus_ns / 1e6, (double)m->vm->collect_times.gic_ns / 1e6,
		 (double)m->vm->collect_times.devices_ns / 1e6,
		 (unsigned long long)(raw >> 10), (double)(t_ram - t_collect) / 1e6, (double)(t_log - t_collect) / 1e6,
		 (double)(t_sent - t_collect) / 1e6,
		 (double)(t_loaded - t_state) / 1e6,
		 (unsigned long long)m->st.dest_load_ms, (double)(clock_now_ns() - t_loaded) / 1e6);
	{
		const struct ram_xfer_stats *xs = ram_sender_stats(s);
		const struct compress_ctl *cc = ram_sender_ctl(s);

		log_info("zstd: %llu of %llu batches compressed; %llu sent raw untried because raw batches moved RAM "
			 "faster (probes won by zstd %llu, by raw %llu; raw's rate over zstd's %.2f %.2f %.2f %.2f); "
			 "the switch-over's pages %s",
			 (unsigned long long)xs->compressed_batches, (unsigned long long)xs->batches,
			 (unsigned long long)xs->raw_chosen_batches, (unsigned long long)cc->runs_zstd,
			 (unsigned long long)cc->runs_raw, cc->raw_vs_zstd[0], cc->raw_vs_zstd[1], cc->raw_vs_zstd[2],
			 cc->raw_vs_zstd[3], compress_ctl_use_zstd(cc) ? "tried zstd" : "went raw");
	}
	log_info("dirty log (bitmap, re-protected after each read): %llu reads in the passes, %.2f ms in all, "
		 "the longest %.2f ms", (unsigned long long)log_reads, (double)log_ns / 1e6, (double)log_max_ns / 1e6);
	pthread_mutex_unlock(&m->lock);
	update_stats(m, s, &pc, 0, rate);
	if (ram_sender_finish(s, &merr))
		log_warn("the guest runs on the destination; closing the stream failed: %s", merr.msg);
	ret = 0;
	goto out;
fail:
	if (merr.msg[0] && !(errbuf && errbuf[0]))
		ERR("%s", merr.msg);
out:
	if (ret && s && !*acked) {
		/* Tell the destination, if it still listens, that it must discard the VM. */
		char why[512];
		int n = snprintf(why, sizeof(why), "%s", errbuf && errbuf[0] ? errbuf : strerror(-ret));
		struct mig_err ignore;

		if (ram_sender_ctrl_send(s, CTRL_CANCEL, why, (size_t)(n > 0 ? n : 0), &ignore) == 0 &&
		    ram_sender_finish(s, &ignore) != 0)
			log_debug("the destination did not take the cancel: %s", ignore.msg);
	}
	__atomic_store_n(&vm->vmm_dirty, NULL, __ATOMIC_RELEASE);
	if (dl.active)
		kvm_dirty_log_stop(&dl);
	vm_throttle_stop(vm);
	pthread_mutex_lock(&m->lock);
	m->sender = NULL;
	pthread_mutex_unlock(&m->lock);
	ram_sender_destroy(s);
	dirty_bitmap_fini(&dirty);
	tls_creds_destroy(creds);
	return ret;
}

static void *migrate_thread(void *arg)
{
	struct migrate_out *m = arg;
	char err[512] = "";
	bool acked = false;
	enum migrate_status end;
	int ret;

	pthread_setname_np(pthread_self(), "migrate");
	ret = run(m, &acked, err, sizeof(err));
	if (ret && !acked) {
		char ignore[512];

		/* Before the acknowledgement: the source runs on, unchanged. */
		if (mig_mail_call(m, MAIL_RESUME, ignore, sizeof(ignore)) < 0)
			log_err("cannot resume the VM after the failed migration");
	}
	pthread_mutex_lock(&m->lock);
	end = !ret ? MIGRATE_COMPLETED : m->cancel && !acked ? MIGRATE_CANCELLED : MIGRATE_FAILED;
	if (ret)
		snprintf(m->st.error, sizeof(m->st.error), "%s", err[0] ? err : strerror(-ret));
	m->st.total_ms = (clock_now_ns() - m->t0_ns) / 1000000;
	pthread_mutex_unlock(&m->lock);
	if (ret)
		log_err("migration to %s:%u %s: %s", m->p.host, m->p.port, migrate_status_name(end),
			err[0] ? err : strerror(-ret));
	else
		log_info("migration to %s:%u completed", m->p.host, m->p.port);
	mig_mail_set_status(m, end);
	return NULL;
}

/* ---- API (control thread) ------------------------------------------------------ */

int migrate_out_start(struct vm *vm, struct event_loop *loop, const struct migrate_params *p,
		      const struct migrate_out_hooks *hooks, void *ctx, struct migrate_out **out, char *errbuf,
		      size_t errlen)
{
	struct migrate_out *m;
	int ret;

	if (!p->host[0] || p->connections < 1 || p->connections > MIGRATE_MAX_CONNECTIONS) {
		ERR("a destination address and 1 to %u connections are needed", MIGRATE_MAX_CONNECTIONS);
		return -EINVAL;
	}
	if (!p->plain && !p->tls_dir[0]) {
		ERR("a TLS credentials directory (tls-dir) is needed; plain TCP only when asked for explicitly");
		return -EINVAL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->vm = vm;
	m->loop = loop;
	m->p = *p;
	m->hooks = hooks;
	m->ctx = ctx;
	m->hold = p->hold_switchover;
	m->t0_ns = clock_now_ns();
	m->st.status = MIGRATE_SETUP;
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->cond, NULL);
	m->mail_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (m->mail_fd < 0) {
		ret = -errno;
		goto err_free;
	}
	ret = event_loop_add(loop, m->mail_fd, EPOLLIN, mig_mail_on_event, m);
	if (ret)
		goto err_close;
	mig_mail_queue_event_locked(m, "MIGRATION", MIGRATE_SETUP, 0);
	ret = -pthread_create(&m->thread, NULL, migrate_thread, m);
	if (ret)
		goto err_remove;
	m->thread_started = true;
	mig_mail_wake(m);
	*out = m;
	return 0;
err_remove:
	event_loop_remove(loop, m->mail_fd);
err_close:
	close(m->mail_fd);
err_free:
	ERR("cannot start the migration: %s", strerror(-ret));
	pthread_mutex_destroy(&m->lock);
	pthread_cond_destroy(&m->cond);
	free(m);
	return ret;
}

int migrate_out_cancel(struct migrate_out *m, char *errbuf, size_t errlen)
{
	int ret = 0;

	pthread_mutex_lock(&m->lock);
	if (migrate_status_finished(m->st.status)) {
		ERR("no migration is running");
		ret = -EINVAL;
	} else if (m->acked) {
		ERR("too late to cancel: the destination has acknowledged the state and owns the guest");
		ret = -EBUSY;
	} else {
		__atomic_store_n(&m->cancel, true, __ATOMIC_RELEASE);
		if (m->st.status != MIGRATE_CANCELLING)
			mig_mail_queue_event_locked(m, "MIGRATION", MIGRATE_CANCELLING, 0);
		m->st.status = MIGRATE_CANCELLING;
		if (m->sender)
			ram_sender_abort(m->sender);
	}
	pthread_mutex_unlock(&m->lock);
	if (!ret)
		mig_mail_wake(m);
	return ret;
}

int migrate_out_continue(struct migrate_out *m, char *errbuf, size_t errlen)
{
	int ret = 0;

	pthread_mutex_lock(&m->lock);
	if (!m->hold || migrate_status_finished(m->st.status)) {
		ERR("the migration is not waiting for migrate-continue");
		ret = -EINVAL;
	}
	m->hold = false;
	pthread_mutex_unlock(&m->lock);
	return ret;
}

void migrate_out_set_downtime(struct migrate_out *m, unsigned ms)
{
	pthread_mutex_lock(&m->lock);
	m->p.downtime_ms = ms;
	pthread_mutex_unlock(&m->lock);
}

void migrate_out_stats(struct migrate_out *m, struct migrate_stats *st)
{
	pthread_mutex_lock(&m->lock);
	*st = m->st;
	if (!migrate_status_finished(st->status))
		st->total_ms = (clock_now_ns() - m->t0_ns) / 1000000;
	pthread_mutex_unlock(&m->lock);
}

bool migrate_out_active(struct migrate_out *m)
{
	bool a;

	if (!m)
		return false;
	pthread_mutex_lock(&m->lock);
	a = !migrate_status_finished(m->st.status);
	pthread_mutex_unlock(&m->lock);
	return a;
}

bool migrate_out_frozen(struct migrate_out *m)
{
	bool f;

	if (!m)
		return false;
	pthread_mutex_lock(&m->lock);
	f = m->frozen;
	pthread_mutex_unlock(&m->lock);
	return f;
}

void migrate_out_destroy(struct migrate_out *m)
{
	if (!m)
		return;
	if (m->thread_started) {
		char err[128];

		if (migrate_out_active(m) && migrate_out_cancel(m, err, sizeof(err)) < 0)
			log_warn("%s; waiting for the migration to end", err);
		/* Serve the thread's mailbox until it ends (it may need a resume). */
		for (;;) {
			bool done;
			enum mail_op op;

			pthread_mutex_lock(&m->lock);
			done = migrate_status_finished(m->st.status);
			op = m->op_done ? MAIL_NONE : m->op;
			pthread_mutex_unlock(&m->lock);
			if (op != MAIL_NONE)
				mig_mail_serve(m, op);
			if (done)
				break;
			usleep(1000);
		}
		pthread_join(m->thread, NULL);
	}
	event_loop_remove(m->loop, m->mail_fd);
	close(m->mail_fd);
	mig_writer_fini(&m->state);
	pthread_mutex_destroy(&m->lock);
	pthread_cond_destroy(&m->cond);
	free(m);
}
