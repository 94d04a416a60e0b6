// SNMP: being written.
