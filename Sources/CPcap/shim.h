#ifndef SANSANG_CPCAP_SHIM_H
#define SANSANG_CPCAP_SHIM_H
#include <pcap/pcap.h>
#endif
