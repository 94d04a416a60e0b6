// FieldCheck: being written.
