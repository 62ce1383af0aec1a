@book @chapter7
Feature: CH07-DispatchTest - one dispatch routine prints every IRP it gets (#9, §7.1)
  The chapter-7 HelloDDK template sends CREATE, CLOSE, CLEANUP and the other registered
  majors to HelloDDKDispatchRoutin, which prints the IRP's name after a tab and completes
  it with STATUS_SUCCESS. The CD's test app only opens and closes the device.

  Scenario: CreateFile and CloseHandle send IRP_MJ_CREATE, IRP_MJ_CLEANUP and IRP_MJ_CLOSE
    Given the scenario "book/ch07_dispatch_test.yaml"
    When the application runs
    # book-experiments.md §0.3 (DriverEntry prints) and #9 "Observed output": three
    # Enter/Leave blocks with \tIRP_MJ_CREATE, \tIRP_MJ_CLEANUP, \tIRP_MJ_CLOSE
    Then the debug output is:
      """
      Enter DriverEntry
      Leave DriverEntry
      Enter HelloDDKDispatchRoutin
      	IRP_MJ_CREATE
      Leave HelloDDKDispatchRoutin
      Enter HelloDDKDispatchRoutin
      	IRP_MJ_CLEANUP
      Leave HelloDDKDispatchRoutin
      Enter HelloDDKDispatchRoutin
      	IRP_MJ_CLOSE
      Leave HelloDDKDispatchRoutin
      """
    # book-experiments.md #9 "Driver behaviour": completes with STATUS_SUCCESS and Information 0
    And the trace contains in order:
      | kind              | driver   | major          | status         |
      | IoCompleteRequest | HelloDDK | IRP_MJ_CREATE  | STATUS_SUCCESS |
      | IoCompleteRequest | HelloDDK | IRP_MJ_CLEANUP | STATUS_SUCCESS |
      | IoCompleteRequest | HelloDDK | IRP_MJ_CLOSE   | STATUS_SUCCESS |
    And no bug check occurred
    And no thread is blocked

  Scenario: The template device is exclusive - a second CreateFile is refused
    Given the scenario "book/ch07_dispatch_test.yaml"
    When the app opens "\\.\HelloDDK" as "h"
    And the app opens "\\.\HelloDDK" as "h2"
    # book-experiments.md §0.3: "Exclusive = TRUE means a second CreateFile while a handle
    # is open fails with ERROR_ACCESS_DENIED (5) (inferred)"
    Then "h2" returned FALSE with error ERROR_ACCESS_DENIED
    And the debug output contains in order:
      | Enter HelloDDKDispatchRoutin |
      | Leave HelloDDKDispatchRoutin |
    When the app closes "h"
    # book-experiments.md #9 "Observed output"
    Then the debug output is:
      """
      Enter DriverEntry
      Leave DriverEntry
      Enter HelloDDKDispatchRoutin
      	IRP_MJ_CREATE
      Leave HelloDDKDispatchRoutin
      Enter HelloDDKDispatchRoutin
      	IRP_MJ_CLEANUP
      Leave HelloDDKDispatchRoutin
      Enter HelloDDKDispatchRoutin
      	IRP_MJ_CLOSE
      Leave HelloDDKDispatchRoutin
      """
    And no thread is blocked
