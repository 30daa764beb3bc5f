// SPDX-License-Identifier: MIT
/*
 * CPU hot-plug AML (REFERENCE §1.3, §1.5 for arm64):
 *
 *   \_SB.PRES  resources of the register block: _CRS, mutex CPLK, region PRST
 *              and its fields
 *   \_SB.CPUS  ACPI0010 container: CTFY (notify by index), CSTA (_STA body),
 *              CEJ0 (_EJ0 body), CSCN (event scan, called from GED _EVT), COST
 *              (_OST body), and C000..Cnnn, one processor device per possible vCPU
 *
 * On arm64 a possible vCPU is always present: _STA is 0x0F when the register
 * block reports it enabled and 0x0D otherwise, never 0.
 */
#include <stdio.h>

#include "acpi/cpuhp_aml.h"
#include "vmm/arm64/memory_map.h"

#define PRES "\\_SB.PRES"
#define CPLK PRES ".CPLK"
#define CPEN PRES ".CPEN"
#define CINS PRES ".CINS"
#define CRMV PRES ".CRMV"
#define CEJ0 PRES ".CEJ0"
#define CCMD PRES ".CCMD"
#define CSEL PRES ".CSEL"
#define CDAT PRES ".CDAT"

#define ACQUIRE_FOREVER 0xFFFF

/* ACPI notification values (ACPI 6.5 §5.6.6). */
#define NOTIFY_DEVICE_CHECK 0x01
#define NOTIFY_EJECT_REQUEST 0x03

static void cpu_name(char out[5], uint32_t i)
{
	snprintf(out, 5, "C%03X", (unsigned int)(i & 0xFFF));
}

static struct aml *pres_device(void)
{
	struct aml *dev = aml_device("PRES");
	struct aml *crs = aml_resource_template();
	struct aml *field;

	aml_append(dev, aml_name_decl("_HID", aml_eisaid("PNP0A06")));
	aml_append(dev, aml_name_decl("_UID", aml_string("CPU Hotplug resources")));
	aml_append(crs, aml_memory32_fixed((uint32_t)LAYOUT_CPUHP_BASE, (uint32_t)LAYOUT_CPUHP_SIZE,
					   AML_READ_WRITE));
	aml_append(dev, aml_name_decl("_CRS", crs));
	aml_append(dev, aml_mutex("CPLK", 0));
	aml_append(dev, aml_operation_region("PRST", AML_SYSTEM_MEMORY, aml_int(LAYOUT_CPUHP_BASE),
					     aml_int(LAYOUT_CPUHP_SIZE)));

	/* Flags and command bytes; writing a flag writes zeros to the others. */
	field = aml_field("PRST", AML_BYTE_ACC, AML_NOLOCK, AML_WRITE_AS_ZEROS);
	aml_field_offset(field, CPUHP_REG_FLAGS);
	aml_field_unit(field, "CPEN", 1);
	aml_field_unit(field, "CINS", 1);
	aml_field_unit(field, "CRMV", 1);
	aml_field_unit(field, "CEJ0", 1);
	aml_field_unit(field, "CEJF", 1);
	aml_field_reserved(field, 3);
	aml_field_unit(field, "CCMD", 8);
	aml_append(dev, field);

	field = aml_field("PRST", AML_DWORD_ACC, AML_NOLOCK, AML_PRESERVE);
	aml_field_unit(field, "CSEL", 32);
	aml_field_reserved(field, 32);
	aml_field_unit(field, "CDAT", 32);
	aml_append(dev, field);
	return dev;
}

/* CTFY(index, event): Notify(C<index>, event). */
static struct aml *ctfy_method(const struct acpi_machine *m)
{
	struct aml *method = aml_method("CTFY", 2, AML_NOT_SERIALIZED);
	char name[5];

	for (uint32_t i = 0; i < m->nr_cpus; i++) {
		struct aml *cond = aml_if(aml_lequal(aml_arg(0), aml_int(i)));

		cpu_name(name, i);
		aml_append(cond, aml_notify(aml_name(name), aml_arg(1)));
		aml_append(method, cond);
	}
	return method;
}

/* CSTA(index): 0x0F if the vCPU is enabled, 0x0D otherwise. */
static struct aml *csta_method(void)
{
	struct aml *method = aml_method("CSTA", 1, AML_SERIALIZED);
	struct aml *cond;

	aml_append(method, aml_acquire(aml_name(CPLK), ACQUIRE_FOREVER));
	aml_append(method, aml_store(aml_arg(0), aml_name(CSEL)));
	aml_append(method, aml_store(aml_int(CPUHP_STA_DISABLED), aml_local(0)));
	cond = aml_if(aml_lequal(aml_name(CPEN), aml_one()));
	aml_append(cond, aml_store(aml_int(CPUHP_STA_ENABLED), aml_local(0)));
	aml_append(method, cond);
	aml_append(method, aml_release(aml_name(CPLK)));
	aml_append(method, aml_return(aml_local(0)));
	return method;
}

/* CEJ0(index): eject the vCPU (the VMM parks it). */
static struct aml *cej0_method(void)
{
	struct aml *method = aml_method("CEJ0", 1, AML_SERIALIZED);

	aml_append(method, aml_acquire(aml_name(CPLK), ACQUIRE_FOREVER));
	aml_append(method, aml_store(aml_arg(0), aml_name(CSEL)));
	aml_append(method, aml_store(aml_one(), aml_name(CEJ0)));
	aml_append(method, aml_release(aml_name(CPLK)));
	return method;
}

/*
 * CSCN(): for each vCPU with a pending event, in selector order: an insert
 * becomes Notify(Device Check) and is cleared, a removal becomes Notify(Eject
 * Request) and is cleared.
 *
 *   Local0 = 0                            // search from here
 *   While (One) {
 *     CSEL = Local0; CCMD = 0             // get next vCPU with an event
 *     Local1 = CDAT                       // its selector (unchanged if none)
 *     If (Local1 < Local0) { Break }      // wrapped round: none at or after Local0
 *     Local2 = Zero
 *     If (CINS == One) { CTFY(Local1, 1); CINS = One; Local2 = One }
 *     If (CRMV == One) { CTFY(Local1, 3); CRMV = One; Local2 = One }
 *     If (Local2 == Zero) { Break }       // no event anywhere
 *     Local0 = Local1 + One
 *     If (Local0 >= nr_cpus) { Break }
 *   }
 *
 * Each pass either stops or moves Local0 forward, so the loop ends after at
 * most nr_cpus passes whatever the device returns.
 */
static struct aml *cscn_method(const struct acpi_machine *m)
{
	struct aml *method = aml_method("CSCN", 0, AML_SERIALIZED);
	struct aml *loop = aml_while(aml_one());
	struct aml *cond;

	aml_append(method, aml_acquire(aml_name(CPLK), ACQUIRE_FOREVER));
	aml_append(method, aml_store(aml_zero(), aml_local(0)));

	aml_append(loop, aml_store(aml_local(0), aml_name(CSEL)));
	aml_append(loop, aml_store(aml_int(CPUHP_CMD_GET_NEXT_EVENT), aml_name(CCMD)));
	aml_append(loop, aml_store(aml_name(CDAT), aml_local(1)));
	cond = aml_if(aml_lless(aml_local(1), aml_local(0)));
	aml_append(cond, aml_break());
	aml_append(loop, cond);

	aml_append(loop, aml_store(aml_zero(), aml_local(2)));
	cond = aml_if(aml_lequal(aml_name(CINS), aml_one()));
	aml_append(cond, aml_call2("CTFY", aml_local(1), aml_int(NOTIFY_DEVICE_CHECK)));
	aml_append(cond, aml_store(aml_one(), aml_name(CINS)));
	aml_append(cond, aml_store(aml_one(), aml_local(2)));
	aml_append(loop, cond);
	cond = aml_if(aml_lequal(aml_name(CRMV), aml_one()));
	aml_append(cond, aml_call2("CTFY", aml_local(1), aml_int(NOTIFY_EJECT_REQUEST)));
	aml_append(cond, aml_store(aml_one(), aml_name(CRMV)));
	aml_append(cond, aml_store(aml_one(), aml_local(2)));
	aml_append(loop, cond);
	cond = aml_if(aml_lequal(aml_local(2), aml_zero()));
	aml_append(cond, aml_break());
	aml_append(loop, cond);

	aml_append(loop, aml_add(aml_local(1), aml_one(), aml_local(0)));
	cond = aml_if(aml_lgreaterequal(aml_local(0), aml_int(m->nr_cpus)));
	aml_append(cond, aml_break());
	aml_append(loop, cond);

	aml_append(method, loop);
	aml_append(method, aml_release(aml_name(CPLK)));
	return method;
}

/* COST(index, event, status, buffer): report _OST to the VMM. */
static struct aml *cost_method(void)
{
	struct aml *method = aml_method("COST", 4, AML_SERIALIZED);

	aml_append(method, aml_acquire(aml_name(CPLK), ACQUIRE_FOREVER));
	aml_append(method, aml_store(aml_arg(0), aml_name(CSEL)));
	aml_append(method, aml_store(aml_int(CPUHP_CMD_OST_EVENT), aml_name(CCMD)));
	aml_append(method, aml_store(aml_arg(1), aml_name(CDAT)));
	aml_append(method, aml_store(aml_int(CPUHP_CMD_OST_STATUS), aml_name(CCMD)));
	aml_append(method, aml_store(aml_arg(2), aml_name(CDAT)));
	aml_append(method, aml_release(aml_name(CPLK)));
	return method;
}

static struct aml *cpu_device(uint32_t i, const struct acpi_cpu *cpu)
{
	struct aml *method;
	struct aml *dev;
	char name[5];

	cpu_name(name, i);
	dev = aml_device(name);
	aml_append(dev, aml_name_decl("_HID", aml_string("ACPI0007")));
	aml_append(dev, aml_name_decl("_UID", aml_int(i)));

	method = aml_method("_STA", 0, AML_NOT_SERIALIZED);
	aml_append(method, aml_return(aml_call1("CSTA", aml_int(i))));
	aml_append(dev, method);

	/* Cold-booted vCPUs cannot be ejected: no _EJ0, so the guest never offers it. */
	if (!cpu->cold_booted) {
		method = aml_method("_EJ0", 1, AML_NOT_SERIALIZED);
		aml_append(method, aml_call1("CEJ0", aml_int(i)));
		aml_append(dev, method);
	}

	method = aml_method("_OST", 3, AML_NOT_SERIALIZED);
	aml_append(method, aml_call4("COST", aml_int(i), aml_arg(0), aml_arg(1), aml_arg(2)));
	aml_append(dev, method);
	return dev;
}

void acpi_cpuhp_aml(struct aml *sb, const struct acpi_machine *m)
{
	struct aml *cpus;

	aml_append(sb, pres_device());

	cpus = aml_device("CPUS");
	aml_append(cpus, aml_name_decl("_HID", aml_string("ACPI0010")));
	aml_append(cpus, aml_name_decl("_CID", aml_eisaid("PNP0A05")));
	aml_append(cpus, ctfy_method(m));
	aml_append(cpus, csta_method());
	aml_append(cpus, cej0_method());
	aml_append(cpus, cscn_method(m));
	aml_append(cpus, cost_method());
	for (uint32_t i = 0; i < m->nr_cpus; i++)
		aml_append(cpus, cpu_device(i, &m->cpus[i]));
	aml_append(sb, cpus);
}
