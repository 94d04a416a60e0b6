// ReadinessModel: being written.
