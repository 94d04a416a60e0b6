#ifndef SANSANG_CTCPINFO_SHIM_H
#define SANSANG_CTCPINFO_SHIM_H
/* TCP_INFO on a connected socket (Linux), and MSG_NOSIGNAL. Header-only: the kernel is the library. */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>

/* Total retransmitted segments of `fd` into `total`; returns 0 or the errno. */
static inline int sansang_tcp_total_retransmits(int fd, uint32_t *total) {
    struct tcp_info info;
    socklen_t length = sizeof info;
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &length) < 0) return errno;
    *total = info.tcpi_total_retrans;
    return 0;
}
/* Bytes in the send queue not yet acknowledged by the peer (SIOCOUTQ); returns 0 or the errno. */
static inline int sansang_unacknowledged_bytes(int fd, int *bytes) {
    return ioctl(fd, SIOCOUTQ, bytes) < 0 ? errno : 0;
}

/* MSG_NOSIGNAL, which Swift does not import from glibc's enum-and-macro definition. */
static inline int sansang_msg_nosignal(void) { return MSG_NOSIGNAL; }
#endif
