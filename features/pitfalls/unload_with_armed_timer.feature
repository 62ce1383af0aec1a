@pitfall
Feature: Pitfall - a driver unloaded with its timer still armed (#30's Unload)
  The chapter-10 DpcTimer driver's Unload deletes its link and device but never calls
  KeCancelTimer (book-experiments.md #30 "Pitfalls"). When the service is stopped while
  the 2 s polling timer runs, the image goes and the timer stays in the timer table.

  Scenario: The timer's next expiry runs PollingTimerDpc in the unloaded image - 0xCE
    Given the scenario "pitfalls/unload_with_armed_timer.yaml"
    When the application runs
    # pnp-hardware §1.8: 0xCE is not raised at unload time but when the CPU reaches the
    # unloaded range: P1 = P3 = the routine, P2 = 0; the timer fired at 2 s, the service
    # stopped at 3 s, the next expiry is 4 s
    Then "stop" returned TRUE with 0 bytes
    And the debug output contains "PollingTimerDpc" 1 time
    And the debug output does not contain "IOCTL_STOP_TIMER!"
    And the machine bug-checked with DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS (0xCE)
    And the bug check parameters are routine "PollingTimerDpc", 0, routine "PollingTimerDpc", 0

  Scenario: Driver Verifier finds the armed timer as the image goes - 0xC7 at the stop
    Given the scenario "pitfalls/unload_with_armed_timer.yaml" with machine.verifier=true
    When the application runs
    # verifier-rules R89 / pnp-hardware §1.8: with the verifier the range being freed is
    # checked for queued timers and DPCs; the KTIMER lives in the device extension, so
    # what lies in the image is its DPC routine: P1 = 2
    Then the machine bug-checked with TIMER_OR_DPC_INVALID (0xC7)
    And the bug check parameter 1 is 2
    And the debug output contains "Enter DriverUnload" 1 time
    And the debug output contains "PollingTimerDpc" 1 time
