@book @chapter10
Feature: CH10-DpcTimer - a KTIMER whose DPC re-arms it every 2 s (#30, §10.2)
  IOCTL_START_TIMER arms the timer with PollingTimerDpc; the DPC re-arms the timer first,
  then prints. The app starts it with 2 000 000 us, sleeps 10 s and stops it.

  Scenario: Ten seconds of a 2-second polling timer give five DPCs
    Given the scenario "book/ch10_dpc_timer.yaml"
    When the application runs
    # book-experiments.md #30 "Observed output": about 5 PollingTimerDpc lines, 2 s apart
    # (kernel-env §5.3: the DPC at 10 s runs before the app thread that wakes at 10 s,
    # DISPATCH_LEVEL work first at the same instant)
    Then the debug output contains "PollingTimerDpc" 5 times
    And the debug output contains in order:
      | Enter HelloDDKDeviceIOControl |
      | IOCTL_START_TIMER!            |
      | Leave HelloDDKDeviceIOControl |
      | PollingTimerDpc               |
      | IOCTL_STOP_TIMER!             |
    And the trace contains in order:
      | kind         | irql           | context |
      | KeSetTimer   | PASSIVE_LEVEL  | thread  |
      | TimerExpired | DISPATCH_LEVEL | dpc     |
      | DpcRoutine   | DISPATCH_LEVEL | dpc     |
      | KeSetTimer   | DISPATCH_LEVEL | dpc     |
      | KeCancelTimer| PASSIVE_LEVEL  | thread  |
    And "start" returned TRUE with 0 bytes
    And "stop" returned TRUE with 0 bytes
    And "stop" returned at 10 s
    And no bug check occurred
    And no thread is blocked

  Scenario: Step by step, the timer ticks only while started
    Given the scenario "book/ch10_dpc_timer.yaml"
    When the app opens "\\.\HelloDDK" as "h"
    And the app sends IOCTL "IOCTL_START_TIMER" to "h" with input "hex: 80 84 1E 00" as "start"
    And 5 s pass
    Then the debug output contains "PollingTimerDpc" 2 times
    When the app sends IOCTL "IOCTL_STOP_TIMER" to "h" as "stop"
    And 10 s pass
    # KeCancelTimer removed the queued timer, so its DPC is never queued again (§5.4)
    Then the debug output contains "PollingTimerDpc" 2 times

  Scenario: An interval over 214 s overflows the 32-bit product and fires early
    Given the scenario "book/ch10_dpc_timer.yaml"
    When the app opens "\\.\HelloDDK" as "h"
    # 500 000 000 us = 0x1DCD6500. book-experiments.md #30 "Pitfalls": us * -10 is computed
    # in 32 bits and overflows above ~214 s: -5 000 000 000 wraps to -705 032 704 hns, so
    # the timer is due after 70.5 s instead of 500 s.
    And the app sends IOCTL "IOCTL_START_TIMER" to "h" with input "hex: 00 65 CD 1D" as "start"
    And 70 s pass
    Then the debug output does not contain "PollingTimerDpc"
    When 1 s passes
    Then the debug output contains "PollingTimerDpc" 1 time
