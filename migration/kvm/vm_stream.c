// SPDX-License-Identifier: MIT
/* Encode and decode a whole VM's state stream (see vm_stream.h). */
#define LOG_PREFIX "state"
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "migration/compat/check.h"
#include "migration/compat/host_desc.h"
#include "migration/compat/vm_desc.h"
#include "migration/format/registry.h"
#include "migration/kvm/vm_stream.h"
#include "migration/vm/machine_state.h"
#include "migration/vm/topology.h"
#include "vmm/core/errbuf.h"
#include "vmm/kvm/save.h"
#include "vmm/kvm/vm.h"

int vm_stream_save(struct vm *vm, struct mig_writer *w, char *errbuf, size_t errlen)
{
	struct mig_registry reg;
	struct mig_err merr = { "" };
	struct vm_saved *s;
	int ret;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	mig_registry_init(&reg);
	ret = mig_writer_init(w, MIG_ARCH_AARCH64, 0);
	if (ret < 0) {
		free(s);
		ERR("cannot start the state stream: %s", strerror(-ret));
		return ret;
	}
	ret = vm_state_collect(vm, s, errbuf, errlen);
	if (ret < 0)
		goto out;
	ret = vm_sections_register(&reg, s, vm->max_vcpus, &merr);
	if (!ret)
		ret = mig_registry_save(&reg, w, &merr);
	if (!ret)
		ret = mig_writer_finish(w, &merr);
	if (ret < 0)
		ERR("cannot encode the state: %s", merr.msg);
out:
	if (ret < 0)
		mig_writer_fini(w);
	mig_registry_fini(&reg);
	vm_saved_free(s);
	return ret;
}

/* The machine and topology sections, read before anything is built. */
static int read_head(const uint8_t *buf, size_t len, const char *what, struct vm_saved *s, char *errbuf,
		     size_t errlen)
{
	struct mig_reader r;
	struct mig_section sec;
	struct mig_err merr = { "" };
	bool have_cfg = false, have_topo = false;
	int ret;

	ret = mig_reader_open(&r, buf, len, MIG_ARCH_AARCH64, 0, &merr);
	while (ret >= 0 && (ret = mig_reader_next(&r, &sec, &merr)) == 1) {
		if (!strcmp(sec.name, config_vmstate.name)) {
			ret = mig_section_load(&sec, &config_vmstate, &s->config, &merr);
			have_cfg = true;
		} else if (!strcmp(sec.name, topology_vmstate.name)) {
			ret = mig_section_load(&sec, &topology_vmstate, &s->topology, &merr);
			have_topo = true;
		}
	}
	if (ret < 0) {
		ERR("bad %s state: %s", what, merr.msg);
		return ret;
	}
	if (!have_cfg || !have_topo) {
		ERR("bad %s state: the '%s' section is missing", what, have_cfg ? "topology" : "machine");
		return -EINVAL;
	}
	if (s->topology.max_vcpus != s->config.max_vcpus) {
		ERR("bad %s state: topology has %u vCPUs, the machine %u", what, s->topology.max_vcpus,
		    s->config.max_vcpus);
		return -EINVAL;
	}
	return 0;
}

int vm_stream_load(const uint8_t *buf, size_t len, const char *what, struct vm_saved **out, struct vm_config *cfg,
		   char *errbuf, size_t errlen)
{
	struct mig_registry reg;
	struct mig_err merr = { "" };
	struct vm_saved *s;
	int ret;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	mig_registry_init(&reg);
	ret = read_head(buf, len, what, s, errbuf, errlen);
	if (ret < 0)
		goto err;
	/* Decode everything into scratch state before touching KVM. */
	ret = vm_saved_alloc_vcpus(s);
	if (!ret)
		ret = vm_sections_register(&reg, s, s->topology.max_vcpus, &merr);
	if (!ret)
		ret = mig_registry_load(&reg, buf, len, MIG_ARCH_AARCH64, 0, &merr);
	if (ret < 0) {
		ERR("bad %s state: %s", what, merr.msg);
		goto err;
	}
	mig_registry_fini(&reg);
	config_state_to(&s->config, cfg);
	*out = s;
	return 0;
err:
	mig_registry_fini(&reg);
	vm_saved_free(s);
	return ret;
}

int vm_stream_check_host(const struct vm_config *cfg, const char *what, char *errbuf, size_t errlen)
{
	uint64_t host_mem = 0;
	unsigned host_vcpus = 0;
	char why[256];

	if (vm_host_limits(&host_mem, &host_vcpus) == 0 &&
	    vm_config_check_host(cfg, host_mem, host_vcpus, why, sizeof(why)) < 0) {
		ERR("this host cannot provide the %s's machine: %s", what, why);
		return -E2BIG;
	}
	return 0;
}

int vm_stream_check_compat(const uint8_t *buf, size_t len, const char *what, char *errbuf, size_t errlen)
{
	struct mig_err merr = { "" };
	struct vm_desc *src = calloc(1, sizeof(*src));
	struct host_desc *dst = calloc(1, sizeof(*dst));
	struct compat_report *rep = calloc(1, sizeof(*rep));
	int ret = src && dst && rep ? 0 : -ENOMEM;

	if (!ret)
		ret = vm_desc_from_stream(buf, len, src, &merr);
	if (!ret)
		ret = host_desc_init_build(dst, &merr);
	if (!ret)
		ret = host_desc_query_kvm(dst, &merr);
	if (ret < 0) {
		ERR("cannot check the %s against this host: %s", what, ret == -ENOMEM ? "out of memory" : merr.msg);
		goto out;
	}
	compat_check(src, dst, rep);
	if (!compat_report_ok(rep)) {
		char why[1024];

		compat_report_summary(rep, why, sizeof(why));
		ERR("this host cannot run the %s: %s", what, why);
		ret = -ENOTSUP;
	}
out:
	free(src);
	free(dst);
	free(rep);
	return ret;
}
