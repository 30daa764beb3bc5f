/* SPDX-License-Identifier: MIT */
/*
 * A fatal signal (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT) prints one line to
 * stderr before the process dies as it would have (core dump included):
 *   vmm: fatal signal 11 (fault address 0x..) in thread 'vcpu1' at pc 0x.. lr 0x.. sp 0x..
 *   frames 0x.. 0x.. ...   (the frame-record chain, when there is one)
 * so `addr2line -e build/aarch64/bin/vmm` names the place. Only write(2) and
 * integer formatting in the handler: async-signal-safe, no locks, no allocation.
 */
#ifndef VMM_CORE_CRASH_REPORT_H
#define VMM_CORE_CRASH_REPORT_H

void crash_report_install(void);

#endif
