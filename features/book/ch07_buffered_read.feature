@book @chapter7
Feature: CH07-BufferedRead - a buffered read through the SystemBuffer (#10, §7.2)
  With DO_BUFFERED_IO, HelloDDKRead fills Irp->AssociatedIrp.SystemBuffer with 0xAA for
  the requested length and completes with Information = length; the I/O manager copies
  the bytes back to the application's buffer.

  Scenario: ReadFile of 10 bytes returns ten 0xAA bytes
    Given the scenario "book/ch07_buffered_read.yaml"
    When the application runs
    # book-experiments.md #10 "Observed output" (app)
    Then the application printed:
      """
      Read 10 bytes:AA AA AA AA AA AA AA AA AA AA
      """
    # book-experiments.md #10 "Test app" and "Driver behaviour": a synchronous ReadFile
    # of 10 bytes; Information = length, status SUCCESS
    And "r1" returned TRUE with 10 bytes
    And "r1" completes with STATUS_SUCCESS and 10 bytes
    And the buffer of "r1" holds "AA*10"
    # book-experiments.md #10 "Observed output" (DbgView): CREATE block, Enter/Leave
    # HelloDDKRead, CLEANUP block, CLOSE block
    And the debug output is:
      """
      Enter HelloDDKDispatchRoutin
      	IRP_MJ_CREATE
      Leave HelloDDKDispatchRoutin
      Enter HelloDDKRead
      Leave HelloDDKRead
      Enter HelloDDKDispatchRoutin
      	IRP_MJ_CLEANUP
      Leave HelloDDKDispatchRoutin
      Enter HelloDDKDispatchRoutin
      	IRP_MJ_CLOSE
      Leave HelloDDKDispatchRoutin
      """
    And no bug check occurred
    And no thread is blocked

  Scenario: Step by step - the read completes inside the dispatch routine
    Given the scenario "book/ch07_buffered_read.yaml"
    When the app opens "\\.\HelloDDK" as "h"
    And the app reads 10 bytes from "h" as "r1"
    # book-experiments.md #10 "Driver behaviour": fill, Information = length, complete,
    # then print "Leave HelloDDKRead"
    Then "r1" returned TRUE with 10 bytes
    And the buffer of "r1" holds "AA*10"
    And the trace contains in order:
      | kind              | irp_of | major       | status         | text               |
      | IoCallDriver      | r1     | IRP_MJ_READ |                |                    |
      | DbgPrint          |        |             |                | Enter HelloDDKRead |
      | IoCompleteRequest | r1     | IRP_MJ_READ | STATUS_SUCCESS |                    |
      | DbgPrint          |        |             |                | Leave HelloDDKRead |
      | DispatchReturn    | r1     | IRP_MJ_READ | STATUS_SUCCESS |                    |
    When the app closes "h"
    Then no thread is blocked
