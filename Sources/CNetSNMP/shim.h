#ifndef SANSANG_CNETSNMP_SHIM_H
#define SANSANG_CNETSNMP_SHIM_H
/* libc first: net-snmp-config.h defines _GNU_SOURCE, which otherwise clashes with Foundation's fd_set. */
#include <sys/types.h>
#include <sys/select.h>
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/library/large_fd_set.h>

/* Macros built with `|` are not imported by Swift: the same values as plain constants. */

/* PDU types (RFC 3416), for netsnmp_pdu.command. */
static const int SANSANG_SNMP_MSG_GET = SNMP_MSG_GET;
static const int SANSANG_SNMP_MSG_GETNEXT = SNMP_MSG_GETNEXT;
static const int SANSANG_SNMP_MSG_RESPONSE = SNMP_MSG_RESPONSE;
static const int SANSANG_SNMP_MSG_SET = SNMP_MSG_SET;
static const int SANSANG_SNMP_MSG_GETBULK = SNMP_MSG_GETBULK;
static const int SANSANG_SNMP_MSG_INFORM = SNMP_MSG_INFORM;
static const int SANSANG_SNMP_MSG_TRAP2 = SNMP_MSG_TRAP2;
static const int SANSANG_SNMP_MSG_REPORT = SNMP_MSG_REPORT;

/* Value types, for netsnmp_variable_list.type. */
static const u_char SANSANG_ASN_INTEGER = ASN_INTEGER;
static const u_char SANSANG_ASN_OCTET_STR = ASN_OCTET_STR;
static const u_char SANSANG_ASN_NULL = ASN_NULL;
static const u_char SANSANG_ASN_OBJECT_ID = ASN_OBJECT_ID;
static const u_char SANSANG_ASN_IPADDRESS = ASN_IPADDRESS;
static const u_char SANSANG_ASN_COUNTER = ASN_COUNTER;
static const u_char SANSANG_ASN_GAUGE = ASN_GAUGE; /* also Unsigned32 */
static const u_char SANSANG_ASN_TIMETICKS = ASN_TIMETICKS;
static const u_char SANSANG_ASN_OPAQUE = ASN_OPAQUE;
static const u_char SANSANG_ASN_COUNTER64 = ASN_COUNTER64;
static const u_char SANSANG_SNMP_NOSUCHOBJECT = SNMP_NOSUCHOBJECT;
static const u_char SANSANG_SNMP_NOSUCHINSTANCE = SNMP_NOSUCHINSTANCE;
static const u_char SANSANG_SNMP_ENDOFMIBVIEW = SNMP_ENDOFMIBVIEW;

/* The USM protocol OIDs are C arrays, which Swift imports as mutable global tuples (not concurrency-safe):
   hand them out as pointer + length instead. AES-192/256 are the Blumenthal (draft-04) variants. */
#define SANSANG_PROTOCOL_OID(fn, array) \
    static inline const oid *fn(size_t *length) { *length = OID_LENGTH(array); return array; }
SANSANG_PROTOCOL_OID(sansang_usm_auth_md5, usmHMACMD5AuthProtocol)
SANSANG_PROTOCOL_OID(sansang_usm_auth_sha, usmHMACSHA1AuthProtocol)
SANSANG_PROTOCOL_OID(sansang_usm_auth_sha224, usmHMAC128SHA224AuthProtocol)
SANSANG_PROTOCOL_OID(sansang_usm_auth_sha256, usmHMAC192SHA256AuthProtocol)
SANSANG_PROTOCOL_OID(sansang_usm_auth_sha384, usmHMAC256SHA384AuthProtocol)
SANSANG_PROTOCOL_OID(sansang_usm_auth_sha512, usmHMAC384SHA512AuthProtocol)
SANSANG_PROTOCOL_OID(sansang_usm_priv_des, usmDESPrivProtocol)
SANSANG_PROTOCOL_OID(sansang_usm_priv_aes, usmAESPrivProtocol)
SANSANG_PROTOCOL_OID(sansang_usm_priv_aes192, usmAES192PrivProtocol)
SANSANG_PROTOCOL_OID(sansang_usm_priv_aes256, usmAES256PrivProtocol)
#undef SANSANG_PROTOCOL_OID

/* FD_ZERO/FD_SET are macros: the set of just `fd`, for snmp_sess_read. */
static inline void sansang_fd_set_only(fd_set *set, int fd) { FD_ZERO(set); FD_SET(fd, set); }

/* The socket of a single-session API session, -1 when it has none (closed, or closing). */
static inline int sansang_sess_socket(void *session) {
    netsnmp_transport *transport = snmp_sess_transport(session);
    return transport ? transport->sock : -1;
}

/* Reads what waits on `fd` for `session` (one datagram for UDP) with a large fd set, so a descriptor above
   FD_SETSIZE works too (the collector holds thousands of connections). */
static inline int sansang_sess_read_fd(void *session, int fd) {
    netsnmp_large_fd_set set;
    netsnmp_large_fd_set_init(&set, fd + 1);
    NETSNMP_LARGE_FD_SET(fd, &set);
    int result = snmp_sess_read2(session, &set);
    netsnmp_large_fd_set_cleanup(&set);
    return result;
}

/* When the earliest outstanding request of `session` expires, in microseconds from now (0 when overdue);
   -1 when it has none. */
static inline long long sansang_sess_next_timeout_us(void *session) {
    netsnmp_large_fd_set set;
    netsnmp_large_fd_set_init(&set, FD_SETSIZE);
    int numfds = 0, block = 1;
    struct timeval timeout = {0, 0};
    snmp_sess_select_info2_flags(session, &numfds, &set, &timeout, &block, NETSNMP_SELECT_NOALARMS);
    netsnmp_large_fd_set_cleanup(&set);
    return block ? -1 : (long long)timeout.tv_sec * 1000000 + timeout.tv_usec;
}

/* The engine ID discovery probe of RFC 3414 §4: a GET without bindings, noAuthNoPriv, from the empty user
   (created in the library's user table if missing, as the library's own probe does). */
static inline netsnmp_pdu *sansang_engine_probe_pdu(void) {
    if (usm_get_user(NULL, 0, "") == NULL) {
        struct usmUser *user = usm_create_user();
        if (user == NULL) return NULL;
        user->name = strdup("");
        user->secName = strdup("");
        usm_add_user(user);
    }
    netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_GET);
    if (pdu == NULL) return NULL;
    pdu->version = SNMP_VERSION_3;
    pdu->securityName = strdup("");
    pdu->securityNameLen = 0;
    pdu->securityLevel = SNMP_SEC_LEVEL_NOAUTH;
    pdu->securityModel = SNMP_SEC_MODEL_USM;
    return pdu;
}

/* Exported by libnetsnmp (snmp_sess_add_ex calls it while opening) but missing from its public headers.
   Calling it ourselves after opening with SNMP_FLAGS_DONT_PROBE keeps the probe's error on the session,
   where snmp_sess_error finds it; a failed probe inside snmp_sess_open loses it. */
struct session_list;
int snmpv3_engineID_probe(struct session_list *slp, netsnmp_session *in_session);

#endif
