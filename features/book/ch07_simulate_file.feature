@book @chapter7
Feature: CH07-SimulateFile - a buffered device that behaves like a file (#11, §7.2)
  HelloDDWrite (sic) and HelloDDKRead copy between the SystemBuffer and a 1024-byte
  buffer at the request's byte offset; HelloDDKQueryInfomation (sic) reports the file
  length for FileStandardInformation, which is what GetFileSize asks for.

  Scenario: Write ten 0xBB bytes, read them back, and ask for the file length
    Given the scenario "book/ch07_simulate_file.yaml"
    When the application runs
    # book-experiments.md #11 "Observed output". Both calls use offset 0: a plain device
    # does not advance CurrentByteOffset (#11 "Pitfalls", §4 "CH07-SimulateFile offset")
    Then the application printed:
      """
      Write 10 bytes
      Read 10 bytes:BB BB BB BB BB BB BB BB BB BB
      file length:10
      """
    # book-experiments.md #11 "Driver behaviour": SUCCESS with Information = length
    And "w1" returned TRUE with 10 bytes
    And "w1" completes with STATUS_SUCCESS and 10 bytes
    And "r1" returned TRUE with 10 bytes
    And the buffer of "r1" holds "BB*10"
    # book-experiments.md #11: `Enter HelloDDWrite` (sic); QueryInformation prints
    # `FileStandardInformation`; the rest go to the printing routine (§0.3)
    And the debug output contains in order:
      | Enter HelloDDKDispatchRoutin |
      | Enter HelloDDWrite           |
      | Enter HelloDDKRead           |
      | FileStandardInformation      |
      | Enter HelloDDKDispatchRoutin |
      | Enter HelloDDKDispatchRoutin |
    And the trace contains in order:
      | kind              | major                    | status         |
      | IoCompleteRequest | IRP_MJ_CREATE            | STATUS_SUCCESS |
      | IoCompleteRequest | IRP_MJ_WRITE             | STATUS_SUCCESS |
      | IoCompleteRequest | IRP_MJ_READ              | STATUS_SUCCESS |
      | IoCompleteRequest | IRP_MJ_QUERY_INFORMATION | STATUS_SUCCESS |
      | IoCompleteRequest | IRP_MJ_CLEANUP           | STATUS_SUCCESS |
      | IoCompleteRequest | IRP_MJ_CLOSE             | STATUS_SUCCESS |
    And no bug check occurred
    And no thread is blocked

  Scenario: A write past the 1024-byte buffer fails with STATUS_FILE_INVALID
    Given the scenario "book/ch07_simulate_file.yaml"
    When the app opens "\\.\HelloDDK" as "h"
    And the app writes "BB*1025" to "h" as "w1"
    # book-experiments.md #11 "Driver behaviour": offset + length > 1024 gives
    # STATUS_FILE_INVALID with Information 0; §0.3: it maps to ERROR_FILE_INVALID (1006)
    Then "w1" completes with STATUS_FILE_INVALID and 0 bytes
    And "w1" returned FALSE with error ERROR_FILE_INVALID
    And the debug output contains "Enter HelloDDWrite"
    When the app closes "h"
    Then no bug check occurred
    And no thread is blocked
