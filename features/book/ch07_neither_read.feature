@book @chapter7
Feature: CH07-NeitherRead - neither buffered nor direct I/O (#13, §7.4)
  Without DO_BUFFERED_IO or DO_DIRECT_IO the driver gets the raw user pointer in
  Irp->UserBuffer. HelloDDKRead probes it and fills it with 0xAA inside a __try block;
  this is valid only because the top-level dispatch routine runs in the caller's thread.

  Scenario: ReadFile of 10 bytes into an uninitialized buffer returns ten 0xAA bytes
    Given the scenario "book/ch07_neither_read.yaml"
    When the application runs
    # book-experiments.md #13 "Test app" / "Observed output": `Read 10 bytes:` and AA x10
    Then the application printed:
      """
      Read 10 bytes:AA AA AA AA AA AA AA AA AA AA
      """
    And "r1" returned TRUE with 10 bytes
    And "r1" completes with STATUS_SUCCESS and 10 bytes
    And the buffer of "r1" holds "AA*10"
    # book-experiments.md #13 "Driver behaviour" steps 1, 2 and 4 (the __except branch is
    # not taken: no `Catch the exception`)
    And the debug output contains in order:
      | Enter HelloDDKRead |
      | Enter __try block  |
      | Leave __try block  |
      | Leave HelloDDKRead |
    # book-experiments.md #13 "Observed output": user_address equals the app's buffer address
    And the debug output shows "user_address:0X" followed by the buffer address of "r1"
    And the debug output does not contain "Catch the exception"
    And the trace contains in order:
      | kind              | major       | status         | context | thread |
      | IoCallDriver      | IRP_MJ_READ |                | thread  | main   |
      | IoCompleteRequest | IRP_MJ_READ | STATUS_SUCCESS | thread  | main   |
    And no bug check occurred
    And no thread is blocked
