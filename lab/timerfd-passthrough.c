/* Loaded before libfaketime under an office agent whose clock the lab sets ahead or behind (`clock_skew_s`).
 *
 * libfaketime 0.9.10 (Debian 12) moves every absolute timerfd deadline by the fake offset, CLOCK_MONOTONIC and
 * CLOCK_BOOTTIME ones too, even with FAKETIME_DONT_FAKE_MONOTONIC=1. libdispatch arms its timers that way (absolute,
 * monotonic and boottime clocks): each deadline lands `clock_skew_s` in the past, the timer fires at once, dispatch
 * finds it not yet due and arms it again — a full core spent forever (measured: one skewed agent, 1.1 cores of the
 * lab's 1.2 when idle). Without FAKETIME_DONT_FAKE_MONOTONIC the timers never fire instead. Monotonic and boottime
 * clocks are the real ones here, so their deadlines go to the kernel unchanged; the agent arms no CLOCK_REALTIME
 * timerfd (checked in /proc/PID/fdinfo), whose deadlines this would leave unconverted. */
#define _GNU_SOURCE
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <unistd.h>

int timerfd_settime(int fd, int flags, const struct itimerspec *new_value, struct itimerspec *old_value) {
    return (int)syscall(SYS_timerfd_settime, fd, flags, new_value, old_value);
}
