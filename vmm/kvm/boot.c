// SPDX-License-Identifier: MIT
/*
 * Boot: the kernel Image and the initrd into guest RAM (vmm/arm64/boot_plan.c
 * places them), the device tree and (ACPI boot) the ACPI/EFI hand-over blob,
 * and the boot vCPU's registers (PC = kernel entry, x0 = DTB).
 */
#define LOG_PREFIX "vm"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acpi/acpi.h"
#include "acpi/efi_handover.h"
#include "vmm/arm64/fdt.h"
#include "vmm/arm64/image.h"
#include "vmm/core/errbuf.h"
#include "vmm/kvm/kvm_arm.h"
#include "vmm/kvm/vm.h"
#include "vmm/kvm/vm_internal.h"

static int open_payload(const char *what, const char *path, int *fd, uint64_t *size, char *errbuf,
			size_t errlen)
{
	struct stat st;
	int ret;

	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0) {
		ret = -errno;
		ERR("%s '%s': %s", what, path, strerror(-ret));
		return ret;
	}
	if (fstat(*fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		ERR("%s '%s' is not a regular file", what, path);
		close(*fd);
		*fd = -1;
		return -EINVAL;
	}
	*size = (uint64_t)st.st_size;
	return 0;
}

static int load_payload(struct vm *vm, char *errbuf, size_t errlen)
{
	struct arm64_image img;
	uint8_t hdr[ARM64_IMAGE_HEADER_SIZE];
	uint64_t ksize, isize = 0;
	int kfd = -1, ifd = -1, ret;
	char why[160];
	ssize_t n;

	ret = open_payload("kernel", vm->cfg.kernel, &kfd, &ksize, errbuf, errlen);
	if (ret < 0)
		return ret;
	n = pread(kfd, hdr, sizeof(hdr), 0);
	ret = arm64_image_parse(hdr, n < 0 ? 0 : (size_t)n, ksize, &img, why, sizeof(why));
	if (ret < 0) {
		ERR("kernel '%s': %s", vm->cfg.kernel, why);
		goto out;
	}
	if (vm->cfg.initrd) {
		ret = open_payload("initrd", vm->cfg.initrd, &ifd, &isize, errbuf, errlen);
		if (ret < 0)
			goto out;
	}
	ret = boot_plan_compute(vm->ram_gpa, vm->ram_size, img.text_offset, img.image_size, isize,
				vm->cfg.acpi ? ACPI_BLOB_MAX_SIZE : 0, &vm->plan, errbuf, errlen);
	if (ret < 0)
		goto out;
	ret = vm_load_file(vm, vm->cfg.kernel, kfd, vm->plan.kernel_gpa, ksize, errbuf, errlen);
	if (ret < 0)
		goto out;
	if (ifd >= 0)
		ret = vm_load_file(vm, vm->cfg.initrd, ifd, vm->plan.initrd_gpa, isize, errbuf, errlen);
out:
	if (ifd >= 0)
		close(ifd);
	close(kfd);
	return ret;
}

/* ACPI tables + EFI hand-over data at plan.blob_gpa; fills the /chosen values. */
static int build_acpi(struct vm *vm, struct fdt_efi_handover *efi, char *errbuf, size_t errlen)
{
	struct acpi_cpu *cpus;
	struct acpi_machine m;
	struct acpi_blob blob;
	void *dst;
	unsigned i;
	int ret;

	cpus = calloc(vm->max_vcpus, sizeof(*cpus));
	if (!cpus)
		return -ENOMEM;
	for (i = 0; i < vm->max_vcpus; i++)
		cpus[i] = (struct acpi_cpu){ .mpidr = vm->vcpus[i].mpidr, .cold_booted = vm->vcpus[i].cold_booted };
	m = (struct acpi_machine){
		.nr_cpus = vm->max_vcpus,
		.cpus = cpus,
		.ram_base = vm->ram_gpa,
		.ram_size = vm->ram_size,
		.pmu = vm->pmu,
		.nr_virtio_mmio = vm->cfg.nr_disks,
	};
	ret = acpi_build_blob(&m, vm->plan.blob_gpa, (size_t)vm->plan.blob_size, &blob);
	free(cpus);
	if (ret < 0) {
		ERR("cannot build the ACPI tables: %s", strerror(-ret));
		return ret;
	}
	dst = vm_gpa(vm, blob.gpa, blob.size);
	if (!dst) {
		acpi_blob_free(&blob);
		ERR("the ACPI tables do not fit in guest RAM");
		return -EFAULT;
	}
	memcpy(dst, blob.data, blob.size);
	*efi = (struct fdt_efi_handover){
		.system_table = blob.systab_gpa,
		.mmap = blob.mmap_gpa,
		.mmap_size = blob.mmap_size,
		.desc_size = blob.mmap_desc_size,
		.desc_version = blob.mmap_desc_ver,
	};
	acpi_blob_free(&blob);
	return 0;
}

static int build_fdt(struct vm *vm, char *errbuf, size_t errlen)
{
	struct fdt_efi_handover efi;
	uint64_t *mpidrs;
	struct fdt_machine m;
	void *dtb;
	unsigned i, n = 0;
	int ret;

	mpidrs = calloc(vm->max_vcpus, sizeof(*mpidrs));
	if (!mpidrs)
		return -ENOMEM;
	for (i = 0; i < vm->max_vcpus; i++)
		if (vm->vcpus[i].admin == VCPU_ENABLED)
			mpidrs[n++] = vm->vcpus[i].mpidr;
	m = (struct fdt_machine){
		.ram_base = vm->ram_gpa,
		.ram_size = vm->ram_size,
		.bootargs = vm->cfg.cmdline,
		.initrd_start = vm->plan.initrd_gpa,
		.initrd_end = vm->plan.initrd_gpa + vm->plan.initrd_size,
		.nr_cpus = n,
		.mpidrs = mpidrs,
		.nr_redist = vm->gic.nr_redist,
		.pmu = vm->pmu,
		.nr_virtio_mmio = vm->cfg.nr_disks,
	};
	memcpy(m.redist, vm->gic.redist, sizeof(m.redist));
	if (vm->cfg.acpi) {
		ret = build_acpi(vm, &efi, errbuf, errlen);
		if (ret < 0)
			goto out;
		m.efi = &efi;
	}
	dtb = vm_gpa(vm, vm->plan.fdt_gpa, BOOT_FDT_MAX_SIZE);
	ret = dtb ? fdt_build(&m, dtb, BOOT_FDT_MAX_SIZE) : -EFAULT;
	if (ret < 0)
		ERR("cannot build the device tree: %s", strerror(-ret));
out:
	free(mpidrs);
	return ret;
}

static int set_boot_regs(struct vm *vm, char *errbuf, size_t errlen)
{
	struct vcpu *boot = &vm->vcpus[0];
	int ret;

	ret = kvm_set_reg(boot->fd, KVM_CORE_REG64(regs.pc), vm->plan.kernel_gpa);
	if (ret >= 0)
		ret = kvm_set_reg(boot->fd, KVM_CORE_REG64(regs.regs[0]), vm->plan.fdt_gpa);
	if (ret < 0)
		ERR("cannot set the boot vCPU's registers: %s", strerror(-ret));
	return ret;
}

int vm_boot_prepare(struct vm *vm, char *errbuf, size_t errlen)
{
	int ret;

	ret = load_payload(vm, errbuf, errlen);
	if (ret >= 0)
		ret = build_fdt(vm, errbuf, errlen);
	if (ret >= 0)
		ret = set_boot_regs(vm, errbuf, errlen);
	return ret;
}
