// SPDX-License-Identifier: MIT
#define LOG_PREFIX "vgic"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gic/vgic.h"
#include "vmm/arm64/memory_map.h"
#include "vmm/core/log.h"
#include "vmm/kvm/kvm_arm.h"

int vgic_create(int vm_fd, unsigned nr_vcpus, struct vgic *out)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
	uint64_t dist = LAYOUT_GICD_BASE;
	unsigned i;
	int ret;

	memset(out, 0, sizeof(*out));
	out->fd = -1;
	ret = kvm_ioctl(vm_fd, KVM_CREATE_DEVICE, &cd);
	if (ret < 0) {
		log_err("cannot create the in-kernel GICv3: %s", strerror(-ret));
		return ret;
	}
	out->fd = (int)cd.fd;
	out->nr_vcpus = nr_vcpus;
	out->accessible = calloc(nr_vcpus, sizeof(*out->accessible));
	if (!out->accessible) {
		ret = -ENOMEM;
		goto err_close;
	}
	out->nr_redist = gic_redist_layout(nr_vcpus, out->redist);

	ret = kvm_set_attr(out->fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &dist);
	if (ret < 0) {
		log_err("cannot place the GIC distributor: %s", strerror(-ret));
		goto err_close;
	}
	for (i = 0; i < out->nr_redist; i++) {
		/* count[63:52] base[51:16] flags[15:12] index[11:0] */
		uint64_t v = ((uint64_t)out->redist[i].count << 52) | out->redist[i].base | i;

		ret = kvm_set_attr(out->fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION, &v);
		if (ret < 0) {
			log_err("cannot place GIC redistributor region %u: %s", i, strerror(-ret));
			goto err_close;
		}
	}
	return 0;
err_close:
	free(out->accessible);
	out->accessible = NULL;
	close(out->fd);
	out->fd = -1;
	return ret;
}

int vgic_init(struct vgic *g, uint32_t nr_irqs)
{
	int ret;

	ret = kvm_set_attr(g->fd, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr_irqs);
	if (ret < 0) {
		log_err("cannot set the GIC interrupt count: %s", strerror(-ret));
		return ret;
	}
	ret = kvm_set_attr(g->fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);
	if (ret < 0) {
		log_err("cannot initialise the GIC: %s", strerror(-ret));
		return ret;
	}
	g->nr_irqs = nr_irqs;
	return 0;
}

int vgic_set_spi(int vm_fd, unsigned intid, bool level)
{
	struct kvm_irq_level irq = {
		.irq = (KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT) | (intid & KVM_ARM_IRQ_NUM_MASK),
		.level = level,
	};

	return kvm_ioctl(vm_fd, KVM_IRQ_LINE, &irq);
}

void vgic_destroy(struct vgic *g)
{
	free(g->accessible);
	g->accessible = NULL;
	if (g->fd >= 0)
		close(g->fd);
	g->fd = -1;
}
