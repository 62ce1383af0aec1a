@book @chapter8
Feature: CH08-KernelEvent - a system thread signals the KEVENT its creator waits on (#19, §8.5.3)
  Test initialises a NotificationEvent on its stack, creates a thread in the current
  process with the event's address as its context, and waits on the event. The thread
  prints Enter, sets the event, prints Leave and terminates itself.

  Scenario: The creator's line comes after the thread's, fixed by the wait
    Given the scenario "book/ch08_kernel_event.yaml"
    When the application runs
    # book-experiments.md #19 "Observed output": Enter MyProcessThread, Leave
    # MyProcessThread, then the post-wait line (RMD: "Event has Single")
    Then the debug output contains in order:
      | Enter MyProcessThread |
      | Leave MyProcessThread |
      | Event has Single      |
    # sync-objects 4.1: the new thread is readied, not run; the creator goes on until it
    # waits; 3.1: KeSetEvent returns the previous state (0) and releases the waiter
    And the trace contains in order:
      | kind          | api                     | thread          | process  |
      | ServiceReturn | PsCreateSystemThread    | main            | test.exe |
      | WaitBegin     |                         | main            | test.exe |
      | ThreadStart   |                         | MyProcessThread | test.exe |
      | KeSetEvent    |                         | MyProcessThread | test.exe |
      | ServiceCall   | PsTerminateSystemThread | MyProcessThread | test.exe |
      | ThreadExit    |                         | MyProcessThread | test.exe |
      | WaitEnd       |                         | main            | test.exe |
    # PsCreateSystemThread(..., NtCurrentProcess(), ...) makes a thread of the app's process
    And the debug line "Enter MyProcessThread" was printed in process "test.exe"
    And "test" returned TRUE with 0 bytes
    And no bug check occurred
    And no thread is blocked
