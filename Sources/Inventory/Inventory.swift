// Inventory: being written.
