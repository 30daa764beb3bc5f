// SPDX-License-Identifier: MIT
/*
 * SPCR revision 2 (Microsoft "Serial Port Console Redirection Table"): the PL011
 * console. Linux builds its earlycon and default console from it.
 */
#include "acpi/acpi.h"
#include "acpi/sdt.h"
#include "vmm/arm64/memory_map.h"

#define SPCR_REVISION 2

#define SPCR_INTERFACE_ARM_PL011 0x03
#define SPCR_INTERRUPT_ARM_GIC (1u << 3)
#define SPCR_BAUD_115200 7
#define SPCR_TERMINAL_VT100 0
#define SPCR_NOT_PCI 0xFFFF

int acpi_build_spcr(struct acpi_buf *out)
{
	size_t start = acpi_sdt_begin(out, "SPCR", SPCR_REVISION);

	acpi_buf_append_u8(out, SPCR_INTERFACE_ARM_PL011);
	acpi_buf_append_zero(out, 3); /* reserved */
	/* PL011 registers are 32 bits wide: Linux then uses "mmio32" accesses. */
	acpi_append_gas(out, ACPI_GAS_SYSTEM_MEMORY, 32, 0, ACPI_GAS_ACCESS_DWORD, LAYOUT_UART_BASE);
	acpi_buf_append_u8(out, SPCR_INTERRUPT_ARM_GIC);
	acpi_buf_append_u8(out, 0);                 /* PC-AT IRQ: none */
	acpi_buf_append_u32(out, LAYOUT_UART_INTID); /* GSIV */
	acpi_buf_append_u8(out, SPCR_BAUD_115200);
	acpi_buf_append_u8(out, 0);                 /* parity: none */
	acpi_buf_append_u8(out, 1);                 /* stop bits: 1 */
	acpi_buf_append_u8(out, 0);                 /* flow control: none */
	acpi_buf_append_u8(out, SPCR_TERMINAL_VT100);
	acpi_buf_append_u8(out, 0);                 /* language: reserved */
	acpi_buf_append_u16(out, SPCR_NOT_PCI);     /* PCI device ID */
	acpi_buf_append_u16(out, SPCR_NOT_PCI);     /* PCI vendor ID */
	acpi_buf_append_u8(out, 0);                 /* PCI bus */
	acpi_buf_append_u8(out, 0);                 /* PCI device */
	acpi_buf_append_u8(out, 0);                 /* PCI function */
	acpi_buf_append_u32(out, 0);                /* PCI flags */
	acpi_buf_append_u8(out, 0);                 /* PCI segment */
	acpi_buf_append_u32(out, 0);                /* reserved */
	if (start == SIZE_MAX)
		return acpi_buf_error(out);
	return acpi_sdt_end(out, start);
}
