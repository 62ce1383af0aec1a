@book @chapter10
Feature: CH10-IoTimer - the I/O timer calls OnTimer once a second (#29, §10.1)
  IoInitializeTimer in CreateDevice; IOCTL_START_TIMER sets the count to 3 and starts
  the timer; OnTimer counts down and resets it with InterlockedCompareExchange; the app
  sleeps 10 s and stops it.

  Scenario: Ten seconds of the I/O timer give ten calls and three timeouts
    Given the scenario "book/ch10_io_timer.yaml"
    When the application runs
    # book-experiments.md #29 "Observed output": about 10 Enter OnTimer! lines, one per
    # second; "3 seconds time out!" after the 3rd, 6th and 9th; the IOCTL lines bracket
    # them. pnp-hardware §6.2: the global I/O timer's phase is whole seconds since boot,
    # so the first call comes at 1 s; the DPC at 10 s runs before the app thread that
    # wakes at 10 s (DISPATCH_LEVEL work first at one instant)
    Then the debug output contains "Enter OnTimer!" 10 times
    And the debug line "Enter OnTimer!" was printed at 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 s
    And the debug line "3 seconds time out!" was printed at 3, 6, 9 s
    And the debug output contains in order:
      | IOCTL_START_TIMER             |
      | Leave HelloDDKDeviceIOControl |
      | Enter OnTimer!                |
      | 3 seconds time out!           |
      | IOCTL_STOP                    |
    # #29: "The process name is whatever was running: typically System or Idle" - here
    # the CPU was idle (the app sleeps); kernel-env §5.5: the routine runs at
    # DISPATCH_LEVEL in DPC context
    And the debug line "The current process is Idle" was printed in process "Idle"
    And the trace contains in order:
      | kind     | text           | irql           | context |
      | DbgPrint | Enter OnTimer! | DISPATCH_LEVEL | dpc     |
    # IoStopTimer: no call after the stop
    And the debug line "IOCTL_STOP" was printed at 10 s
    And "start" returned TRUE with 0 bytes
    And "stop" returned TRUE with 0 bytes
    And no bug check occurred
    And no thread is blocked
