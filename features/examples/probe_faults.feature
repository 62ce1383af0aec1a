@example
Feature: Buffer probing and faults (win32-io §6)
  A buffered device and a METHOD_NEITHER device, called with NULL and invalid user
  pointers and with drivers whose Information is longer than the caller's buffer.

  Scenario: Probes before dispatch, copy-back faults, and a driver's probe under __try
    Given the scenario "examples/probe_faults.yaml"
    When the application runs
    # 6.1 / 6.2: ReadFile's ProbeForWrite of a NULL or never-mapped buffer with a length
    # fails before any IRP: ERROR_NOACCESS, and the driver sees nothing
    Then "null_read" returned FALSE with error ERROR_NOACCESS
    And "low_read" returned FALSE with error ERROR_NOACCESS
    And the debug output does not contain "ProbeBuf: read of 8"
    # 6.3: a zero-length read with a NULL buffer reaches the driver and succeeds with 0
    And "empty_read" returned TRUE with 0 bytes
    And the debug output contains "ProbeBuf: read of 0" 1 time
    # 6.1: a pointer at MmUserProbeAddress fails WriteFile's ProbeForRead
    And "kernel_write" returned FALSE with error ERROR_NOACCESS
    # 6.2 / §10.19: a NULL METHOD_BUFFERED output makes the driver see OutputBufferLength 0
    And "null_out" returned TRUE with 0 bytes
    And the debug output contains "ProbeBuf: ioctl in=4 out=0"
    # 6.4: Information 8 for a 4-byte buffer overruns it on committed pages: no error,
    # the bytes land in the memory that follows (the trace reports the overrun)
    And "small" returned TRUE with 8 bytes
    And the trace reports a rule violation containing "copy-back overrun"
    # 6.4: a copy-back reaching an unmapped page, inline: the silent branch runs and the
    # service returns the driver's success, so the caller sees TRUE with a stale 0 count
    And "inline_fault" returned TRUE with 0 bytes
    And "inline_fault" completes with STATUS_ACCESS_VIOLATION and 8192 bytes
    # 6.4: the same fault on a pended request: the wait returns STATUS_ACCESS_VIOLATION
    And "late_fault" returned FALSE with error ERROR_NOACCESS
    # 6.2: METHOD_NEITHER is not probed; the driver's ProbeForWrite under __try raises
    # STATUS_ACCESS_VIOLATION into its handler, which fails the request with that code
    And the debug output contains "Raw: exception 0xC0000005"
    And "raw_bad" returned FALSE with error ERROR_NOACCESS
    And "raw_good" returned TRUE with 8 bytes
    And no bug check occurred
