import CNetSNMP

extension SNMPError.Code {
    /// The code for a net-snmp SNMPERR_* number; `fallback` for the ones we do not single out.
    init(libraryError: Int32, fallback: SNMPError.Code) {
        switch libraryError {
        case SNMPERR_TIMEOUT: self = .timeout
        case SNMPERR_AUTHENTICATION_FAILURE, SNMPERR_USM_AUTHENTICATIONFAILURE: self = .authenticationFailure
        case SNMPERR_UNKNOWN_USER_NAME, SNMPERR_USM_UNKNOWNSECURITYNAME: self = .unknownUser
        case SNMPERR_UNKNOWN_ENG_ID, SNMPERR_USM_UNKNOWNENGINEID: self = .unknownEngineID
        case SNMPERR_DECRYPTION_ERR, SNMPERR_USM_DECRYPTIONERROR: self = .decryptionFailure
        case SNMPERR_UNSUPPORTED_SEC_LEVEL, SNMPERR_USM_UNSUPPORTEDSECURITYLEVEL: self = .unsupportedSecurityLevel
        case SNMPERR_NOT_IN_TIME_WINDOW, SNMPERR_USM_NOTINTIMEWINDOW: self = .notInTimeWindow
        default: self = fallback
        }
    }
}
