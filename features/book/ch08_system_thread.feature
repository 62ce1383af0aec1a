@book @chapter8
Feature: CH08-SystemThread - a thread of the System process and one of the caller's (#18, §8.5.2)
  CreateThread_Test creates one thread with PsCreateSystemThread(ProcessHandle NULL),
  which belongs to the System process, and one with NtCurrentProcess(), which belongs to
  whatever process is current. Each thread prints its process's image name and ends
  itself with PsTerminateSystemThread. The READ dispatch routine runs the test in the
  app's context (HX); DriverEntry runs it in the System process (S000's variant).

  Scenario: From the READ dispatch, the NULL-process thread reports System and the other test.exe
    Given the scenario "book/ch08_system_thread.yaml"
    When the application runs
    # book-experiments.md #18 "Observed output": "This thread run in System process !"
    # for SystemThread, and the test exe's name (test.exe) for MyProcessThread when
    # called from a dispatch routine; each thread prints Enter, the name, Leave
    # (#18 "Driver behaviour"). sync-objects 4.1: ProcessHandle NULL -> System process,
    # NtCurrentProcess() -> the current process; the creator does not wait, so the
    # threads run only once the app's thread gives up the CPU (here: its Sleep)
    Then the trace contains in order:
      | kind          | api                  | text                                  | thread          | process  |
      | Win32Call     | ReadFile             |                                       | main            | test.exe |
      | ServiceReturn | PsCreateSystemThread |                                       | main            | test.exe |
      | ServiceReturn | PsCreateSystemThread |                                       | main            | test.exe |
      | Win32Call     | Sleep                |                                       | main            | test.exe |
      | DbgPrint      |                      | Enter SystemThread                    | SystemThread    | System   |
      | DbgPrint      |                      | This thread run in System process !   | SystemThread    | System   |
      | DbgPrint      |                      | Leave SystemThread                    | SystemThread    | System   |
      | ThreadExit    |                      |                                       | SystemThread    | System   |
      | DbgPrint      |                      | Enter MyProcessThread                 | MyProcessThread | test.exe |
      | DbgPrint      |                      | This thread run in test.exe process ! | MyProcessThread | test.exe |
      | DbgPrint      |                      | Leave MyProcessThread                 | MyProcessThread | test.exe |
      | ThreadExit    |                      |                                       | MyProcessThread | test.exe |
      | Win32Return   | Sleep                |                                       | main            | test.exe |
    # #18: only a thread created from the app's context can be in test.exe
    And the debug line "This thread run in test.exe process !" was printed in process "test.exe"
    And the debug output contains "This thread run in test.exe process !" 1 time
    And "r1" returned TRUE with 0 bytes
    And no bug check occurred
    And no thread is blocked

  Scenario: From DriverEntry, both threads report System
    Given the scenario "book/ch08_system_thread.yaml"
    When the application runs
    # book-experiments.md #18 "Observed output": "If the test is called from DriverEntry,
    # both report System" - DriverEntry runs in a thread of the System process, so
    # NtCurrentProcess() is System too (sync-objects 4.1). The threads start after
    # DriverEntry returns (it does not wait for them), before the app can open the device
    Then the debug output contains in order:
      | Enter DriverEntry                   |
      | Leave DriverEntry                   |
      | Enter SystemThread                  |
      | This thread run in System process ! |
      | Leave SystemThread                  |
      | Enter MyProcessThread               |
      | This thread run in System process ! |
      | Leave MyProcessThread               |
    And the trace contains in order:
      | kind          | api                  | text                                | thread          | process  |
      | DbgPrint      |                      | Enter DriverEntry                   | DriverLoader    | System   |
      | ServiceReturn | PsCreateSystemThread |                                     | DriverLoader    | System   |
      | ServiceReturn | PsCreateSystemThread |                                     | DriverLoader    | System   |
      | DbgPrint      |                      | Leave DriverEntry                   | DriverLoader    | System   |
      | DbgPrint      |                      | This thread run in System process ! | SystemThread    | System   |
      | DbgPrint      |                      | This thread run in System process ! | MyProcessThread | System   |
      | Win32Call     | CreateFile           |                                     | main            | test.exe |
    # two System lines from DriverEntry's threads, one from the READ test's SystemThread
    And the debug output contains "This thread run in System process !" 3 times
    And no bug check occurred
    And no thread is blocked
