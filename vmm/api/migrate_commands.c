// SPDX-License-Identifier: MIT
/*
 * The QMP commands of live migration (migration/migrate.h): migrate,
 * query-migrate, migrate_cancel, migrate-set-parameters, migrate-continue, with
 * the MIGRATION and MIGRATION_PASS events. Field names are QEMU's, so tools that
 * drive QEMU's migration read ours. Control thread.
 */
#define LOG_PREFIX "api"
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migration/compat/vm_desc.h"
#include "migration/kvm/migrate_in.h"
#include "migration/kvm/vm_stream.h"
#include "migration/kvm/migrate_out.h"
#include "vmm/api/api.h"
#include "vmm/api/runner.h"
#include "vmm/core/log.h"
#include "vmm/qmp/qmp.h"

/* ---- the source's hooks ------------------------------------------------------------ */

static void out_event(void *ctx, const char *name, struct json_object *data)
{
	runner_emit(ctx, name, data);
}

static bool out_user_paused(void *ctx)
{
	struct runner *r = ctx;

	return r->paused;
}

static void out_finished(void *ctx, enum migrate_status st, bool keep)
{
	struct runner *r = ctx;

	if (st != MIGRATE_COMPLETED)
		return; /* the source runs on as before */
	r->migrated = true;
	if (keep) {
		/* Paused for good: the guest runs on the destination. */
		r->paused = true;
		runner_emit(r, "STOP", NULL);
		return;
	}
	runner_request_exit(r, VM_EXIT_MIGRATED);
}

static void out_request_exit(void *ctx, int why)
{
	runner_request_exit(ctx, (enum vm_exit)why);
}

static const struct migrate_out_hooks out_hooks = {
	.event = out_event,
	.user_paused = out_user_paused,
	.finished = out_finished,
	.request_exit = out_request_exit,
};

void runner_migrate_fini(struct runner *r)
{
	migrate_out_destroy(r->mig_out);
	r->mig_out = NULL;
}

static struct migrate_params *params(struct runner *r)
{
	if (!r->mig_params) {
		r->mig_params = calloc(1, sizeof(*r->mig_params));
		if (r->mig_params)
			migrate_params_default(r->mig_params);
	}
	return r->mig_params;
}

/* ---- commands ------------------------------------------------------------------- */

/* The optional members shared by migrate and migrate-set-parameters. */
static int parse_tuning(struct json_object *args, struct migrate_params *p, struct qmp_error *err)
{
	const char *tls = NULL;
	uint64_t v;
	int rc;

	if ((rc = qmp_arg_uint(args, "downtime-limit", false, &v, err)) < 0)
		return rc;
	if (rc == 1) {
		if (v < 1 || v > 2000000)
			return qmp_error_set(err, QMP_ERROR_GENERIC,
					     "Parameter 'downtime-limit' expects an integer in the range of 1 to 2000000 ms");
		p->downtime_ms = (unsigned)v;
	}
	if ((rc = qmp_arg_uint(args, "multifd-channels", false, &v, err)) < 0)
		return rc;
	if (rc == 1) {
		if (v < 1 || v > MIGRATE_MAX_CONNECTIONS)
			return qmp_error_set(err, QMP_ERROR_GENERIC,
					     "Parameter 'multifd-channels' expects 1 to %u", MIGRATE_MAX_CONNECTIONS);
		p->connections = (unsigned)v;
	}
	if ((rc = qmp_arg_uint(args, "multifd-zstd-level", false, &v, err)) < 0)
		return rc;
	if (rc == 1) {
		if (v > 19)
			return qmp_error_set(err, QMP_ERROR_GENERIC,
					     "Parameter 'multifd-zstd-level' expects 0 (off) to 19");
		p->zstd_level = (int)v;
	}
	if ((rc = qmp_arg_str(args, "tls-creds", false, &tls, err)) < 0)
		return rc;
	if (rc == 1) {
		/* A credentials directory; "" means plain TCP, as in QEMU. */
		if (snprintf(p->tls_dir, sizeof(p->tls_dir), "%s", tls) >= (int)sizeof(p->tls_dir))
			return qmp_error_set(err, QMP_ERROR_GENERIC, "Parameter 'tls-creds': path too long");
		p->plain = !*tls;
	}
	if ((rc = qmp_arg_bool(args, "ktls", false, &p->ktls, err)) < 0)
		return rc;
	if ((rc = qmp_arg_bool(args, "x-zstd-always", false, &p->zstd_always, err)) < 0)
		return rc;
	if ((rc = qmp_arg_bool(args, "x-hold-switchover", false, &p->hold_switchover, err)) < 0)
		return rc;
	return 0;
}

/* migrate {"uri": "tcp:HOST:PORT", optional tuning, "keep": bool}. */
static int cmd_migrate(void *opaque, struct json_object *args, struct json_object **ret, struct qmp_error *err)
{
	struct runner *r = opaque;
	struct vm *vm = api_live_vm(r, err);
	struct migrate_params *defaults = params(r), p;
	const char *uri = NULL;
	char msg[512] = "";
	int rc;

	(void)ret;
	if (!vm)
		return -EAGAIN;
	if (!defaults)
		return qmp_error_set(err, QMP_ERROR_GENERIC, "out of memory");
	if (r->migrated)
		return qmp_error_set(err, QMP_ERROR_GENERIC, "the guest already migrated away from here");
	if (migrate_out_active(r->mig_out))
		return qmp_error_set(err, QMP_ERROR_GENERIC, "There's a migration process in progress");
	p = *defaults;
	if (qmp_arg_str(args, "uri", true, &uri, err) < 0 || parse_tuning(args, &p, err) < 0 ||
	    qmp_arg_bool(args, "keep", false, &p.keep, err) < 0)
		return -EINVAL;
	if (migrate_parse_address(uri, &p, msg, sizeof(msg)) < 0)
		return qmp_error_set(err, QMP_ERROR_GENERIC, "Parameter 'uri': %s", msg);
	runner_migrate_fini(r);
	rc = migrate_out_start(vm, r->loop, &p, &out_hooks, r, &r->mig_out, msg, sizeof(msg));
	if (rc < 0)
		return qmp_error_set(err, QMP_ERROR_GENERIC, "%s", msg);
	log_info("migrating to %s:%u over %u %s connection(s), downtime limit %u ms", p.host, p.port, p.connections,
		 p.plain ? "plain TCP" : "TLS", p.downtime_ms);
	return 0;
}

static void add_u64(struct json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_int64((int64_t)v));
}

static int cmd_query_migrate(void *opaque, struct json_object *args, struct json_object **ret,
			     struct qmp_error *err)
{
	struct runner *r = opaque;
	struct json_object *o = json_object_new_object(), *ram;
	struct migrate_stats st;

	(void)args;
	(void)err;
	*ret = o;
	if (r->mig_out)
		migrate_out_stats(r->mig_out, &st);
	else if (r->mig_in)
		migrate_in_stats(r->mig_in, &st);
	else
		return 0; /* QEMU answers {} before any migration */
	json_object_object_add(o, "status", json_object_new_string(migrate_status_name(st.status)));
	if (st.status == MIGRATE_NONE)
		return 0;
	add_u64(o, "total-time", st.total_ms);
	add_u64(o, "setup-time", st.setup_ms);
	if (st.status == MIGRATE_COMPLETED) {
		add_u64(o, "downtime", st.downtime_ms);
		add_u64(o, "x-downtime-source", st.source_downtime_ms);
		add_u64(o, "x-destination-load", st.dest_load_ms);
	}
	else
		add_u64(o, "expected-downtime", st.expected_downtime_ms);
	if (st.throttle_pct)
		add_u64(o, "cpu-throttle-percentage", st.throttle_pct);
	if (st.error[0])
		json_object_object_add(o, "error-desc", json_object_new_string(st.error));
	ram = json_object_new_object();
	add_u64(ram, "transferred", st.ram_transferred);
	add_u64(ram, "remaining", st.ram_remaining);
	add_u64(ram, "total", st.ram_total);
	add_u64(ram, "duplicate", st.ram_duplicate_pages);
	add_u64(ram, "normal", st.ram_normal_pages);
	add_u64(ram, "normal-bytes", st.ram_normal_bytes);
	add_u64(ram, "dirty-sync-count", st.passes);
	add_u64(ram, "page-size", 4096);
	add_u64(ram, "dirty-pages-rate", st.dirty_pages_rate);
	json_object_object_add(ram, "mbps", json_object_new_double(st.mbps));
	json_object_object_add(o, "ram", ram);
	/* Ours: what QEMU has no field for. */
	json_object_object_add(o, "x-compression-ratio", json_object_new_double(st.compression));
	json_object_object_add(o, "x-tls", json_object_new_boolean(st.tls));
	json_object_object_add(o, "x-ktls", json_object_new_boolean(st.ktls));
	add_u64(o, "x-connections", st.connections);
	return 0;
}

static int cmd_migrate_cancel(void *opaque, struct json_object *args, struct json_object **ret,
			      struct qmp_error *err)
{
	struct runner *r = opaque;
	char msg[256] = "";

	(void)args;
	(void)ret;
	if (!migrate_out_active(r->mig_out))
		return 0; /* QEMU: a no-op when nothing runs */
	if (migrate_out_cancel(r->mig_out, msg, sizeof(msg)) < 0)
		return qmp_error_set(err, QMP_ERROR_GENERIC, "%s", msg);
	return 0;
}

static int cmd_migrate_set_parameters(void *opaque, struct json_object *args, struct json_object **ret,
				      struct qmp_error *err)
{
	struct runner *r = opaque;
	struct migrate_params *p = params(r), tmp;

	(void)ret;
	if (!p)
		return qmp_error_set(err, QMP_ERROR_GENERIC, "out of memory");
	tmp = *p;
	if (parse_tuning(args, &tmp, err) < 0)
		return -EINVAL;
	*p = tmp;
	/* The downtime limit also applies to a migration under way. */
	if (migrate_out_active(r->mig_out))
		migrate_out_set_downtime(r->mig_out, p->downtime_ms);
	return 0;
}

static int cmd_migrate_continue(void *opaque, struct json_object *args, struct json_object **ret,
				struct qmp_error *err)
{
	struct runner *r = opaque;
	const char *state = NULL;
	char msg[256] = "";

	(void)ret;
	if (qmp_arg_str(args, "state", true, &state, err) < 0)
		return -EINVAL;
	if (strcmp(state, "pre-switchover"))
		return qmp_error_set(err, QMP_ERROR_GENERIC, "Migration not in expected state: %s", state);
	if (!r->mig_out || migrate_out_continue(r->mig_out, msg, sizeof(msg)) < 0)
		return qmp_error_set(err, QMP_ERROR_GENERIC, "%s", msg[0] ? msg : "no migration is running");
	return 0;
}

/* migrate-incoming {"uri": "tcp:ADDR:PORT", "tls-creds": DIR or ""} on `vmm run --incoming defer`. */
static int cmd_migrate_incoming(void *opaque, struct json_object *args, struct json_object **ret,
				struct qmp_error *err)
{
	struct runner *r = opaque;
	struct migrate_params p;
	const char *uri = NULL, *tls = NULL;
	char msg[512] = "";

	(void)ret;
	migrate_params_default(&p);
	if (qmp_arg_str(args, "uri", true, &uri, err) < 0 || qmp_arg_str(args, "tls-creds", true, &tls, err) < 0)
		return -EINVAL;
	if (migrate_parse_address(uri, &p, msg, sizeof(msg)) < 0)
		return qmp_error_set(err, QMP_ERROR_GENERIC, "Parameter 'uri': %s", msg);
	if (snprintf(p.tls_dir, sizeof(p.tls_dir), "%s", tls) >= (int)sizeof(p.tls_dir))
		return qmp_error_set(err, QMP_ERROR_GENERIC, "Parameter 'tls-creds': path too long");
	p.plain = !*tls;
	if (runner_incoming_start(r, &p, msg, sizeof(msg)) < 0)
		return qmp_error_set(err, QMP_ERROR_GENERIC, "%s", msg);
	return 0;
}

/*
 * x-query-migration-source: what this VM needs of a destination, as `vmm-compat`
 * reads it (its source description, vmm-source/1), from the state collected in a
 * brief pause exactly as a migration's offer is.
 */
static int cmd_query_migration_source(void *opaque, struct json_object *args, struct json_object **ret,
				      struct qmp_error *err)
{
	struct runner *r = opaque;
	struct vm *vm = api_live_vm(r, err);
	struct mig_err merr = { "" };
	struct mig_writer w;
	struct vm_desc *d;
	char msg[512] = "";
	enum vm_exit why;
	int rc;

	(void)args;
	if (!vm)
		return -EAGAIN;
	if (api_topology_frozen(r, err))
		return -EBUSY;
	d = calloc(1, sizeof(*d));
	if (!d)
		return qmp_error_set(err, QMP_ERROR_GENERIC, "out of memory");
	why = vm_pause_settled(vm, !r->paused);
	rc = why == VM_EXIT_NONE ? vm_stream_save(vm, &w, msg, sizeof(msg)) : -ECANCELED;
	if (why == VM_EXIT_NONE && !r->paused)
		vm_resume_all(vm);
	if (why != VM_EXIT_NONE) {
		runner_request_exit(r, why);
		free(d);
		return qmp_error_set(err, QMP_ERROR_GENERIC, "the VM is shutting down");
	}
	if (rc == 0) {
		rc = vm_desc_from_stream(w.buf, w.len, d, &merr);
		mig_writer_fini(&w);
		if (rc == 0)
			rc = vm_desc_to_json(d, ret);
		if (rc)
			snprintf(msg, sizeof(msg), "%s", merr.msg[0] ? merr.msg : strerror(-rc));
	}
	free(d);
	if (rc)
		return qmp_error_set(err, QMP_ERROR_GENERIC, "cannot describe the VM: %s", msg);
	return 0;
}

static const char *const incoming_args[] = { "uri", "tls-creds", NULL };
static const char *const migrate_args[] = { "uri", "downtime-limit", "multifd-channels", "multifd-zstd-level",
					    "tls-creds", "ktls", "x-zstd-always", "x-hold-switchover", "keep", NULL };
static const char *const set_params_args[] = { "downtime-limit", "multifd-channels", "multifd-zstd-level",
					       "tls-creds", "ktls", "x-zstd-always", "x-hold-switchover", NULL };
static const char *const continue_args[] = { "state", NULL };

const struct qmp_command api_migrate_commands[] = {
	{ .name = "migrate", .fn = cmd_migrate, .args = migrate_args },
	{ .name = "query-migrate", .fn = cmd_query_migrate, .args = qmp_no_args },
	{ .name = "migrate_cancel", .fn = cmd_migrate_cancel, .args = qmp_no_args },
	{ .name = "migrate-set-parameters", .fn = cmd_migrate_set_parameters, .args = set_params_args },
	{ .name = "migrate-continue", .fn = cmd_migrate_continue, .args = continue_args },
	{ .name = "migrate-incoming", .fn = cmd_migrate_incoming, .args = incoming_args },
	{ .name = "x-query-migration-source", .fn = cmd_query_migration_source, .args = qmp_no_args },
	{ 0 },
};
