"""The simulated hardware under the kernel: devices with registers and interrupt lines."""
