// PacketCapture: being written.
