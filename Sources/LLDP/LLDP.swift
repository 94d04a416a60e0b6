// LLDP: being written.
