#ifndef SANSANG_CLINUXNET_SHIM_H
#define SANSANG_CLINUXNET_SHIM_H
/* The Linux ethtool ioctl, which sysfs does not cover (driver name, autonegotiation).
   Header-only: the kernel is the library. */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <net/if.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>

/* Runs one ethtool command on `ifname`; returns 0 or the errno. */
static inline int sansang_ethtool(const char *ifname, void *command) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return errno;
    struct ifreq request;
    memset(&request, 0, sizeof request);
    strncpy(request.ifr_name, ifname, IFNAMSIZ - 1);
    request.ifr_data = (char *)command;
    int status = ioctl(fd, SIOCETHTOOL, &request) < 0 ? errno : 0;
    close(fd);
    return status;
}

/* The driver name into `driver` (NUL-terminated); returns 0 or the errno. */
static inline int sansang_ethtool_driver(const char *ifname, char *driver, size_t capacity) {
    struct ethtool_drvinfo info;
    memset(&info, 0, sizeof info);
    info.cmd = ETHTOOL_GDRVINFO;
    int status = sansang_ethtool(ifname, &info);
    if (status == 0 && capacity > 0) {
        strncpy(driver, info.driver, capacity - 1);
        driver[capacity - 1] = 0;
    }
    return status;
}

/* Whether autonegotiation is on (1) or off (0) into `autoneg`; returns 0 or the errno. */
static inline int sansang_ethtool_autoneg(const char *ifname, int *autoneg) {
    struct ethtool_cmd settings;
    memset(&settings, 0, sizeof settings);
    settings.cmd = ETHTOOL_GSET;
    int status = sansang_ethtool(ifname, &settings);
    if (status == 0) *autoneg = settings.autoneg == AUTONEG_ENABLE;
    return status;
}
#endif
