"""The kernel core (ReactOS ntoskrnl/ke): the machine (CPUs, IRQL, threads, the clock,
DPC and APC delivery, bug checks), dispatcher objects and waits, timers and DPCs, spin
locks, device queues."""
