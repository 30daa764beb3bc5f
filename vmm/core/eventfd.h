/* SPDX-License-Identifier: MIT */
/* An eventfd as a wake-up from any thread to the control loop. */
#ifndef VMM_CORE_EVENTFD_H
#define VMM_CORE_EVENTFD_H

#include <stdint.h>
#include <unistd.h>

/* Wakes the loop watching fd. A full counter means a wake-up is pending anyway. */
static inline void eventfd_signal(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is full, the reader will wake up regardless. */
	}
}

/* Resets the counter (the reader's side); nothing pending is not an error. */
static inline void eventfd_drain(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0) {
		/* EAGAIN: a spurious wake-up. */
	}
}

#endif
