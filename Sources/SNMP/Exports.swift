// The plain SNMP values (OIDs, variable bindings, errors, session settings) live in the pure SNMPTypes module,
// so that modules which only describe notifications do not link libnetsnmp. Code that imports SNMP sees them too.
@_exported import SNMPTypes
