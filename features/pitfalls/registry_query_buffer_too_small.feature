@pitfall @chapter6
Feature: Pitfall - ZwQueryValueKey's two answers for a buffer that is too small
  A Length below the fixed part of the structure is STATUS_BUFFER_TOO_SMALL with
  nothing written; a Length that holds the fixed part but not the data is
  STATUS_BUFFER_OVERFLOW with the header filled and the data cut (stacks-services 4.20).
  A driver that only handles the first answer fails on the second.

  Scenario: A header-sized probe buffer reads the DWORD but not the string
    Given the scenario "pitfalls/registry_query_buffer_too_small.yaml"
    When the application runs
    # book-experiments.md #8 QueryRegTest done wrong: 16 bytes hold 12 + the ULONG; for
    # "hello world" (24 bytes with its NUL) the CM writes the header, DataLength 24 and 4
    # bytes of data, and returns 0x80000005 with ResultLength 36 - the size to allocate
    Then the debug output is:
      """
      REG_DWORD value:1000
      Read regsiter error 80000005: ResultLength 36, DataLength 24
      """
    And the pool holds 0 blocks of 0 bytes tagged "None"
    And no bug check occurred
