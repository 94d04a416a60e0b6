// AgentProbes: being written.
