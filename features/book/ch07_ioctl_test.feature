@book @chapter7
Feature: CH07-IoctlTest - DeviceIoControl with three buffer methods (#14, §7.5)
  IOCTL_TEST1 is METHOD_BUFFERED, IOCTL_TEST2 METHOD_IN_DIRECT and IOCTL_TEST3
  METHOD_NEITHER (functions 0x800-0x802, FILE_DEVICE_UNKNOWN, FILE_ANY_ACCESS). Each
  call sends ten 0xBB bytes and gets ten 0xAA bytes back: through the shared
  SystemBuffer, through the output MDL, or through the raw user pointers.

  Scenario: Three synchronous IOCTLs each return ten 0xAA bytes
    Given the scenario "book/ch07_ioctl_test.yaml"
    When the application runs
    # book-experiments.md #14 "Observed output": three times `Output buffer:10 bytes`
    # then `AA AA AA AA AA AA AA AA AA AA`
    Then the application printed:
      """
      Output buffer:10 bytes
      AA AA AA AA AA AA AA AA AA AA
      Output buffer:10 bytes
      AA AA AA AA AA AA AA AA AA AA
      Output buffer:10 bytes
      AA AA AA AA AA AA AA AA AA AA
      """
    # book-experiments.md #14 "Driver behaviour": Information = output length
    And "c1" returned TRUE with 10 bytes
    And "c2" returned TRUE with 10 bytes
    And "c3" returned TRUE with 10 bytes
    And "c1" completes with STATUS_SUCCESS and 10 bytes
    And "c2" completes with STATUS_SUCCESS and 10 bytes
    And "c3" completes with STATUS_SUCCESS and 10 bytes
    # book-experiments.md #14 "Driver behaviour" and "Observed output": each IOCTL prints
    # its name and the ten input bytes (`%X`, one per line: ten `BB` lines per IOCTL)
    And the debug output contains in order:
      | Enter HelloDDKDeviceIOControl |
      | IOCTL_TEST1                   |
      | BB                            |
      | BB                            |
      | BB                            |
      | BB                            |
      | BB                            |
      | BB                            |
      | BB                            |
      | BB                            |
      | BB                            |
      | BB                            |
      | Leave HelloDDKDeviceIOControl |
      | Enter HelloDDKDeviceIOControl |
      | IOCTL_TEST2                   |
      | BB                            |
      | BB                            |
      | BB                            |
      | BB                            |
      | BB                            |
      | BB                            |
      | BB                            |
      | BB                            |
      | BB                            |
      | BB                            |
      | Leave HelloDDKDeviceIOControl |
      | Enter HelloDDKDeviceIOControl |
      | IOCTL_TEST3                   |
      | BB                            |
      | BB                            |
      | BB                            |
      | BB                            |
      | BB                            |
      | BB                            |
      | BB                            |
      | BB                            |
      | BB                            |
      | BB                            |
      | Leave HelloDDKDeviceIOControl |
    # TEST2 prints the MDL's user address; TEST3 the raw user pointers
    And the debug output contains "User Address:0X"
    And the debug output contains "UserInputBuffer:0X"
    And the debug output contains "UserOutputBuffer:0X"
    And the debug output does not contain "Catch the exception"
    And no bug check occurred
    And no thread is blocked

  Scenario: Step by step - METHOD_BUFFERED shares one SystemBuffer for input and output
    Given the scenario "book/ch07_ioctl_test.yaml"
    When the app opens "\\.\HelloDDK" as "h"
    And the app sends IOCTL "IOCTL_TEST1" to "h" with input "BB*10" and 10 output bytes as "c1"
    # book-experiments.md #14: the input bytes are printed before the output is written
    # ("Pitfalls": writing output first would destroy the input)
    Then "c1" returned TRUE with 10 bytes
    And the buffer of "c1" holds "AA*10"
    And the debug output contains in order:
      | IOCTL_TEST1                   |
      | BB                            |
      | BB                            |
      | BB                            |
      | BB                            |
      | BB                            |
      | BB                            |
      | BB                            |
      | BB                            |
      | BB                            |
      | BB                            |
      | Leave HelloDDKDeviceIOControl |
    When the app closes "h"
    Then no thread is blocked
