// SPDX-License-Identifier: MIT
/* Encode and decode a whole VM's state stream (see vm_stream.h). */
#define LOG_PREFIX "state"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "migration/compat/check.h"
#include "migration/compat/host_desc.h"
#include "migration/compat/vm_desc.h"
#include "migration/format/registry.h"
#include "migration/kvm/vm_stream.h"
#include "migration/vm/machine_state.h"
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

int vm_stream_load(const uint8_t *buf, size_t len, const char *what, struct vm_saved **out, struct vm_config *cfg,
		   char *errbuf, size_t errlen)
{
	struct mig_err merr = { "" };
	struct vm_saved *s = calloc(1, sizeof(*s));
	int ret;

	if (!s)
		return -ENOMEM;
	/* The one hardened decoder: machine and topology once, every section, then the cross-checks. */
	ret = vm_saved_decode(s, buf, len, 0, &merr);
	if (ret < 0) {
		ERR("bad %s state: %s", what, merr.msg);
		vm_saved_free(s);
		return ret;
	}
	config_state_to(&s->config, cfg);
	*out = s;
	return 0;
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
