// SPDX-License-Identifier: MIT
/* One line on a fatal signal, then the default action (crash_report.h). */
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <ucontext.h>
#include <unistd.h>

#include "vmm/core/crash_report.h"

#define LINE_MAX_LEN 512
#define MAX_FRAMES 16

struct line {
	char buf[LINE_MAX_LEN];
	size_t len;
};

static void put(struct line *l, const char *s)
{
	while (*s && l->len < sizeof(l->buf) - 1)
		l->buf[l->len++] = *s++;
}

static void put_hex(struct line *l, uint64_t v)
{
	char tmp[19] = "0x";
	int i;

	for (i = 0; i < 16; i++)
		tmp[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 0xf];
	tmp[18] = 0;
	put(l, tmp);
}

static void put_dec(struct line *l, unsigned v)
{
	char tmp[12];
	int i = sizeof(tmp) - 1;

	tmp[i] = 0;
	do
		tmp[--i] = (char)('0' + v % 10);
	while ((v /= 10) && i > 0);
	put(l, tmp + i);
}

static void on_fatal(int sig, siginfo_t *si, void *uctx)
{
	struct line l = { .len = 0 };
	char name[17] = "";
	uint64_t pc = 0, lr = 0, sp = 0, fp = 0;
	ucontext_t *uc = uctx;

	prctl(PR_GET_NAME, name, 0, 0, 0);
#if defined(__aarch64__)
	pc = uc->uc_mcontext.pc;
	lr = uc->uc_mcontext.regs[30];
	fp = uc->uc_mcontext.regs[29];
	sp = uc->uc_mcontext.sp;
#elif defined(__x86_64__)
	pc = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
	fp = (uint64_t)uc->uc_mcontext.gregs[REG_RBP];
	sp = (uint64_t)uc->uc_mcontext.gregs[REG_RSP];
#endif
	put(&l, "vmm: fatal signal ");
	put_dec(&l, (unsigned)sig);
	put(&l, " (fault address ");
	put_hex(&l, (uint64_t)(uintptr_t)si->si_addr);
	put(&l, ") in thread '");
	put(&l, name);
	put(&l, "' at pc ");
	put_hex(&l, pc);
	put(&l, " lr ");
	put_hex(&l, lr);
	put(&l, " sp ");
	put_hex(&l, sp);
	put(&l, "\n");
	/* Out first: walking the frames below may fault again (then the default action ends it). */
	if (write(STDERR_FILENO, l.buf, l.len) < 0) {
		/* Nowhere left to say it. */
	}
	l.len = 0;
	/* The frame-record chain [fp] = caller's fp, [fp + 8] = return address, while it
	 * stays above sp, ascends and is aligned (code built without frame pointers ends it). */
	put(&l, "vmm: frames");
	for (int i = 0; i < MAX_FRAMES && fp > sp && fp - sp < (64u << 20) && !(fp & 7); i++) {
		const uint64_t *rec = (const uint64_t *)(uintptr_t)fp;

		put(&l, " ");
		put_hex(&l, rec[1]);
		if (rec[0] <= fp)
			break;
		fp = rec[0];
	}
	put(&l, "\n");
	if (write(STDERR_FILENO, l.buf, l.len) < 0) {
		/* Nowhere left to say it. */
	}
	/* SA_RESETHAND restored the default action: die of the same signal. */
	raise(sig);
}

void crash_report_install(void)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fatal;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}
