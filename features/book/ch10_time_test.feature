@book @chapter10
Feature: CH10-TimeTest - the system time as local date and time fields (#32, §10.4)
  IOCTL_TIME_TEST calls KeQuerySystemTime, ExSystemTimeToLocalTime and
  RtlTimeToTimeFields and prints the eight fields. The machine boots at 2008-06-01
  20:30:00 UTC in UTC+08:00, so the local date is already Monday 2 June; the app sleeps
  1234 ms, then sends the IOCTL once.

  Scenario: The eight lines give the local date and time of the last clock tick
    Given the scenario "book/ch10_time_test.yaml"
    When the application runs
    # Sleep(1234) ends at the first tick at/after 1.234 s (sync-objects 4.5): tick 79 of
    # 15.625 ms = 1.234375 s (8.7, 8.11). KeQuerySystemTime = boot + 1.234375 s (8.4);
    # ExSystemTimeToLocalTime adds 8 h (8.9): 2008-06-02 04:30:01.234375; Milliseconds
    # truncates to 234, Weekday 1 = Monday (8.10). In UTC it would still be Sunday 1 June.
    # book-experiments.md #32 "Observed output": eight lines with the local date and time
    # (texts as Time_Test prints them: "Current year:%d" ... "Current Weekday:%d")
    Then the debug output contains in order:
      | Enter HelloDDKDeviceIOControl |
      | IOCTL_TIME_TEST               |
      | Current year:2008             |
      | Current month:6               |
      | Current day:2                 |
      | Current Hour:4                |
      | Current Minute:30             |
      | Current Second:1              |
      | Current Milliseconds:234      |
      | Current Weekday:1             |
      | Leave HelloDDKDeviceIOControl |
    And the debug line "Current Milliseconds:" was printed at 1234.375 ms
    And "time" returned TRUE with 0 bytes
    And no bug check occurred
    And no thread is blocked

  Scenario: Between two ticks the time fields and the tick count stay at the last tick
    Given the scenario "book/ch10_time_test.yaml"
    When the app opens "\\.\HelloDDK" as "h"
    And 1234 ms pass
    # The IOCTL runs at 1.234 s, between ticks 78 (1.21875 s) and 79: the system time
    # and the tick count are those of tick 78 (sync-objects 8.4, 8.6), so Milliseconds
    # reads 218, not 234
    And the app sends IOCTL "IOCTL_TIME_TEST" to "h" as "time"
    # IOCTL_TICK_TEST is the model's (book-experiments.md #32: KeQueryTickCount and
    # KeQueryTimeIncrement are book-text only): 78 full ticks, the default increment
    # 156250 (8.7), and ticks x increment = the interrupt time of tick 78
    And the app sends IOCTL "IOCTL_TICK_TEST" to "h" as "tick"
    Then the debug output contains in order:
      | Current Second:1         |
      | Current Milliseconds:218 |
      | Tick count:78            |
      | Time increment:156250    |
      | Elapsed 100ns:12187500   |
    And the debug line "Tick count:" was printed at 1234 ms
    And "time" returned TRUE with 0 bytes
    And "tick" returned TRUE with 0 bytes

  Scenario: With the XP uniprocessor HAL's tick, KeQueryTimeIncrement is 100144
    Given the scenario "book/ch10_time_test.yaml" with machine.clock_tick=100144
    When the app opens "\\.\HelloDDK" as "h"
    And 1 s passes
    # sync-objects 8.6, 8.7: 1 s holds 99 full ticks of 10.0144 ms (99 x 100144 =
    # 9914256 hns); the system time is boot + 0.9914256 s: 04:30:00.991 local
    And the app sends IOCTL "IOCTL_TIME_TEST" to "h" as "time"
    And the app sends IOCTL "IOCTL_TICK_TEST" to "h" as "tick"
    Then the debug output contains in order:
      | Current Second:0         |
      | Current Milliseconds:991 |
      | Tick count:99            |
      | Time increment:100144    |
      | Elapsed 100ns:9914256    |
    And no bug check occurred
