/* SPDX-License-Identifier: MIT */
/* Plug and unplug requests for a running VM's vCPUs (QMP device_add / device_del). */
#ifndef HOTPLUG_KVM_CPU_PLUG_H
#define HOTPLUG_KVM_CPU_PLUG_H

#include <stddef.h>

#include "vmm/core/compiler.h"

struct vm;

/* Properties a device_add may give for a vCPU; -1 = not given. */
struct cpu_props {
	int pmu;
	int sve;
	int socket_id, cluster_id, thread_id;
};

/* vCPU hot-plug (control thread). Errors are -errno with a message in errbuf. */
int vm_cpu_plug(struct vm *vm, unsigned idx, const char *id, const struct cpu_props *props, char *errbuf,
		size_t errlen) __must_check;
int vm_cpu_unplug(struct vm *vm, const char *id, char *errbuf, size_t errlen) __must_check;

#endif
