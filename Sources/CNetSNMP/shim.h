#ifndef SANSANG_CNETSNMP_SHIM_H
#define SANSANG_CNETSNMP_SHIM_H
/* libc first: net-snmp-config.h defines _GNU_SOURCE, which otherwise clashes with Foundation's fd_set. */
#include <sys/types.h>
#include <sys/select.h>
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#endif
