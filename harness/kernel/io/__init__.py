"""The I/O manager (ReactOS ntoskrnl/io): IRPs, device, driver and file objects,
IoCallDriver / IoCompleteRequest, cancel, StartIo, the file-object services."""
