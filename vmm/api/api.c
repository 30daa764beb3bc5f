// SPDX-License-Identifier: MIT
/* The QMP command table of a running VM: every area's commands on one server. */
#include <errno.h>

#include "migration/kvm/migrate_out.h"
#include "vmm/api/api.h"
#include "vmm/api/runner.h"
#include "vmm/qmp/qmp.h"

struct vm *api_live_vm(struct runner *r, struct qmp_error *err)
{
	if (!r->vm)
		qmp_error_set(err, QMP_ERROR_GENERIC, r->mig_in ? "the VM has not arrived yet (incoming migration)"
							       : "the VM is being reset; try again");
	return r->vm;
}

int api_topology_frozen(struct runner *r, struct qmp_error *err)
{
	if (r->migrated)
		return qmp_error_set(err, QMP_ERROR_GENERIC, "the guest migrated away: it runs on the destination now");
	if (migrate_out_frozen(r->mig_out))
		return qmp_error_set(err, QMP_ERROR_GENERIC,
				     "the migration is switching over (the VM's state is being sent); try again after it");
	return 0;
}

static const struct qmp_command *const areas[] = { api_vm_commands, api_cpu_commands, api_snapshot_commands,
						   api_migrate_commands };

int api_start(struct runner *r, const char *socket_path)
{
	struct qmp_command all[API_MAX_COMMANDS];
	size_t n = 0, i;

	for (i = 0; i < ARRAY_SIZE(areas); i++)
		for (const struct qmp_command *c = areas[i]; c->name; c++) {
			if (n == ARRAY_SIZE(all))
				return -E2BIG;
			all[n++] = *c;
		}
	return qmp_server_create(r->loop, socket_path, all, n, r, &r->qmp);
}

void api_stop(struct runner *r)
{
	if (r->qmp)
		qmp_server_destroy(r->qmp);
	r->qmp = NULL;
}
