// SPDX-License-Identifier: MIT
/*
 * Save and restore of a vCPU's registers through KVM_GET_REG_LIST and
 * KVM_{GET,SET}_ONE_REG. Called only while the vCPU's thread is paused (or it has
 * none): KVM_RUN holds the vCPU's lock. Restore order (REFERENCE §5.3): firmware
 * pseudo-registers first, then everything else in list order, MP state last.
 */
#define LOG_PREFIX "vcpu-state"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migration/vm/vcpu_state.h"
#include "vmm/core/log.h"
#include "vmm/kvm/kvm_arm.h"
#include "vmm/kvm/vcpu.h"
#include "vmm/kvm/vm.h"

static unsigned reg_size(uint64_t id)
{
	return 1u << ((id & KVM_REG_SIZE_MASK) >> KVM_REG_SIZE_SHIFT);
}

static bool is_fw_reg(uint64_t id)
{
	uint64_t coproc = id & KVM_REG_ARM_COPROC_MASK;

	return coproc == KVM_REG_ARM_FW || coproc == KVM_REG_ARM_FW_FEAT_BMAP;
}

struct vcpu_reg_cache {
	struct kvm_reg_list *list;
	bool filled;            /* values[] holds every immutable register's value */
	uint8_t *immutable;     /* per list entry */
	uint64_t *values;       /* per list entry (8-byte registers) */
};

/*
 * Registers no one can change once the vCPU has been set up: the ID registers
 * (op0 3, op1 0, CRn 0, CRm 0-7: MIDR, MPIDR, REVIDR, ID_*), CLIDR/AIDR/CTR/DCZID
 * (op1 1 or 3, CRn 0, CRm 0) and the CCSIDR demux; the guest can only read them,
 * and KVM refuses userspace writes once the vCPU has run.
 */
static bool is_immutable(uint64_t id)
{
	uint64_t coproc = id & KVM_REG_ARM_COPROC_MASK;
	unsigned op0, op1, crn, crm;

	if (coproc == KVM_REG_ARM_DEMUX)
		return true;
	if (coproc != KVM_REG_ARM64_SYSREG || reg_size(id) != 8)
		return false;
	op0 = (unsigned)((id & KVM_REG_ARM64_SYSREG_OP0_MASK) >> KVM_REG_ARM64_SYSREG_OP0_SHIFT);
	op1 = (unsigned)((id & KVM_REG_ARM64_SYSREG_OP1_MASK) >> KVM_REG_ARM64_SYSREG_OP1_SHIFT);
	crn = (unsigned)((id & KVM_REG_ARM64_SYSREG_CRN_MASK) >> KVM_REG_ARM64_SYSREG_CRN_SHIFT);
	crm = (unsigned)((id & KVM_REG_ARM64_SYSREG_CRM_MASK) >> KVM_REG_ARM64_SYSREG_CRM_SHIFT);
	return op0 == 3 && crn == 0 && ((op1 == 0 && crm <= 7) || ((op1 == 1 || op1 == 3) && crm == 0));
}

void vcpu_regs_forget(struct vcpu *v)
{
	if (!v->regcache)
		return;
	free(v->regcache->list);
	free(v->regcache->immutable);
	free(v->regcache->values);
	free(v->regcache);
	v->regcache = NULL;
}

static int reg_list(struct vcpu *v, struct kvm_reg_list **out)
{
	struct kvm_reg_list probe = { .n = 0 }, *list;
	int ret;

	ret = kvm_ioctl(v->fd, KVM_GET_REG_LIST, &probe);
	if (ret != -E2BIG)
		return ret < 0 ? ret : -EIO;
	if (probe.n > VCPU_STATE_MAX_REGS) {
		log_err("vCPU %u has %llu registers, more than a snapshot holds (%u)", v->id,
			(unsigned long long)probe.n, VCPU_STATE_MAX_REGS);
		return -E2BIG;
	}
	list = malloc(sizeof(*list) + probe.n * sizeof(uint64_t));
	if (!list)
		return -ENOMEM;
	list->n = probe.n;
	ret = kvm_ioctl(v->fd, KVM_GET_REG_LIST, list);
	if (ret < 0) {
		free(list);
		return ret;
	}
	*out = list;
	return 0;
}

int vcpu_save_state(struct vcpu *v, struct vcpu_state *s)
{
	struct kvm_reg_list *list = NULL;
	struct kvm_mp_state mp;
	uint64_t i;
	int ret;

	memset(s, 0, sizeof(*s));
	s->id = v->id;
	/* MP state first: reading it may settle pending events. */
	ret = kvm_ioctl(v->fd, KVM_GET_MP_STATE, &mp);
	if (ret < 0) {
		log_err("vCPU %u: KVM_GET_MP_STATE: %s", v->id, strerror(-ret));
		return ret;
	}
	s->mp_state = mp.mp_state;
	pthread_mutex_lock(&v->lock);
	s->power_on = v->power == VCPU_POWER_ON;
	s->on_pending = v->on_pending;
	s->on_entry = v->on_pending ? v->on_entry : 0;
	s->on_ctx = v->on_pending ? v->on_ctx : 0;
	pthread_mutex_unlock(&v->lock);
	snprintf((char *)s->dev_id, sizeof(s->dev_id), "%s", v->dev_id);
	if (!v->regcache) {
		struct vcpu_reg_cache *c = calloc(1, sizeof(*c));

		if (!c)
			return -ENOMEM;
		ret = reg_list(v, &list);
		if (ret < 0) {
			log_err("vCPU %u: KVM_GET_REG_LIST: %s", v->id, strerror(-ret));
			free(c);
			return ret;
		}
		c->list = list;
		c->immutable = calloc(list->n ? list->n : 1, 1);
		c->values = calloc(list->n ? list->n : 1, sizeof(uint64_t));
		if (!c->immutable || !c->values) {
			v->regcache = c;
			vcpu_regs_forget(v);
			return -ENOMEM;
		}
		for (i = 0; i < list->n; i++)
			c->immutable[i] = is_immutable(list->reg[i]);
		v->regcache = c;
	}
	list = v->regcache->list;
	for (i = 0; i < list->n; i++) {
		uint64_t id = list->reg[i], buf[2] = { 0, 0 };
		struct kvm_one_reg r = { .id = id, .addr = (uint64_t)(uintptr_t)buf };
		bool fixed = v->regcache->immutable[i];

		if (reg_size(id) > sizeof(buf)) {
			log_err("vCPU %u: register 0x%llx is %u bytes: not supported", v->id,
				(unsigned long long)id, reg_size(id));
			ret = -ENOTSUP;
			break;
		}
		if (fixed && v->regcache->filled) {
			buf[0] = v->regcache->values[i];
		} else {
			ret = kvm_ioctl(v->fd, KVM_GET_ONE_REG, &r);
			if (ret < 0) {
				log_err("vCPU %u: cannot read register 0x%llx: %s", v->id, (unsigned long long)id,
					strerror(-ret));
				break;
			}
			if (fixed)
				v->regcache->values[i] = buf[0];
		}
		s->regs[s->nr_regs++] = (struct vcpu_reg){ .id = id, .lo = buf[0], .hi = buf[1] };
	}
	if (ret < 0) {
		vcpu_regs_forget(v);
		return ret;
	}
	v->regcache->filled = true;
	return 0;
}

static int set_reg(struct vcpu *v, const struct vcpu_reg *reg)
{
	uint64_t buf[2] = { reg->lo, reg->hi }, cur[2] = { 0, 0 };
	struct kvm_one_reg r = { .id = reg->id, .addr = (uint64_t)(uintptr_t)buf };
	int ret;

	if (reg_size(reg->id) > sizeof(buf))
		return -EINVAL;
	ret = kvm_ioctl(v->fd, KVM_SET_ONE_REG, &r);
	if (ret == 0)
		return 0;
	/* Some registers are read-only or immutable: fine if they already hold the value. */
	r.addr = (uint64_t)(uintptr_t)cur;
	if (kvm_ioctl(v->fd, KVM_GET_ONE_REG, &r) == 0 && !memcmp(cur, buf, reg_size(reg->id)))
		return 0;
	log_err("vCPU %u: cannot restore register 0x%llx: %s", v->id, (unsigned long long)reg->id, strerror(-ret));
	return ret;
}

int vcpu_load_state(struct vcpu *v, const struct vcpu_state *s)
{
	struct kvm_mp_state mp = { .mp_state = s->mp_state };
	uint32_t i;
	int pass, ret;

	vcpu_regs_forget(v); /* the registers are about to be set */

	if (s->nr_regs > VCPU_STATE_MAX_REGS)
		return -EINVAL;
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < s->nr_regs; i++) {
			if (is_fw_reg(s->regs[i].id) != (pass == 0))
				continue;
			ret = set_reg(v, &s->regs[i]);
			if (ret < 0)
				return ret;
		}
	}
	ret = kvm_ioctl(v->fd, KVM_SET_MP_STATE, &mp);
	if (ret < 0) {
		log_err("vCPU %u: KVM_SET_MP_STATE(%u): %s", v->id, s->mp_state, strerror(-ret));
		return ret;
	}
	/*
	 * The power state follows KVM's MP state (STOPPED = off), not the saved flag:
	 * right even if this host's KVM forwards PSCI differently from the source's.
	 * Without userspace PSCI, KVM powers vCPUs on itself: their threads must run.
	 */
	v->power = (!v->vm->psci_user || s->mp_state != KVM_MP_STATE_STOPPED) ? VCPU_POWER_ON : VCPU_POWER_OFF;
	/* An accepted CPU_ON that was not applied yet: the thread applies it once it runs. */
	if (s->on_pending && v->power == VCPU_POWER_ON) {
		log_err("vCPU %u: the snapshot has a pending CPU_ON for a vCPU that is on", v->id);
		return -EINVAL;
	}
	pthread_mutex_lock(&v->lock);
	v->on_pending = s->on_pending != 0;
	v->on_entry = s->on_entry;
	v->on_ctx = s->on_ctx;
	pthread_mutex_unlock(&v->lock);
	if (s->on_pending)
		log_info("vCPU %u: re-armed a pending CPU_ON at 0x%llx", v->id, (unsigned long long)s->on_entry);
	return 0;
}
