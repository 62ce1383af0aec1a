@book @chapter6
Feature: CH06-KernelFunctions StringTest - counted strings (#8, §6.1)
  DriverEntry calls StringTest. The book runs the one subtest the reader picks, the convert
  test as shipped; the scenario runs the convert test first and then the other subtests
  the catalog lists, in its order: init, copy, upcase and integer conversions (the
  compare test's bug is a pitfall of its own).

  Scenario: The default convert test converts Hello World both ways and frees both buffers
    Given the scenario "book/ch06_string_test.yaml"
    When the application runs
    # book-experiments.md #8 "StringTest" Convert (default): Unicode->ANSI of "Hello World"
    # prints "Conver succussfully!" / "Result:Hello World", ANSI->Unicode the same two
    # lines again; they are the first lines after DriverEntry's own
    Then the debug output contains in order:
      | Enter DriverEntry    |
      | Conver succussfully! |
      | Result:Hello World   |
      | Conver succussfully! |
      | Result:Hello World   |
      | AnsiString1:hello    |
    # stacks-services 4.15: Allocate TRUE takes exactly the converted length plus the NUL
    # (11 + 1 bytes ANSI, 22 + 2 bytes Unicode); Length excludes the NUL; each buffer is
    # freed by its RtlFree*String before the next conversion
    And the trace contains in order:
      | kind          | api                          | status         | details.length | details.maximum_length | details.text |
      | ServiceReturn | RtlUnicodeStringToAnsiString | STATUS_SUCCESS | 11             | 12                     | Hello World  |
      | ServiceCall   | RtlFreeAnsiString            |                |                |                        |              |
      | ServiceReturn | RtlAnsiStringToUnicodeString | STATUS_SUCCESS | 22             | 24                     | Hello World  |
      | ServiceCall   | RtlFreeUnicodeString         |                |                |                        |              |
    # book-experiments.md #8 "The buffers are freed"; 4.13/4.15: the Rtl string buffers are
    # PagedPool tagged 'Strg' (WRK ExpAllocateStringRoutine), none left at the end
    And the pool holds 0 blocks of 0 bytes tagged "Strg"
    And no bug check occurred

  Scenario: The init test prints the literal, then the literal overwritten, then a string built by hand
    Given the scenario "book/ch06_string_test.yaml"
    When the application runs
    # book-experiments.md #8 Init: RtlInitAnsiString on a literal prints "hello"; the
    # literal overwritten in place prints "HELLO" (4.9: Buffer points at the literal, no
    # copy; the old DDK's literals are writable); the hand-built UNICODE_STRING prints
    # "hello" (4.16: %wZ prints Length bytes)
    Then the debug output contains in order:
      | Result:Hello World  |
      | AnsiString1:hello   |
      | AnsiString1:HELLO   |
      | UnicodeString:hello |
    # 4.9: Length = strlen = 5, MaximumLength = 6; then the hand-built string: a 1024-byte
    # ExAllocatePool buffer, "hello" copied in (Length 10), freed with ExFreePool
    And the trace contains in order:
      | kind          | api                      | status         | details.length | details.maximum_length |
      | ServiceReturn | RtlInitAnsiString        |                | 5              | 6                      |
      | ServiceCall   | ExAllocatePoolWithTag    |                |                |                        |
      | ServiceReturn | RtlAppendUnicodeToString | STATUS_SUCCESS |                |                        |
      | ServiceCall   | ExFreePool               |                |                |                        |

  Scenario: The copy test prints Hello World from the literal and from the 1024-byte copy
    Given the scenario "book/ch06_string_test.yaml"
    When the application runs
    # book-experiments.md #8 Copy: RtlCopyUnicodeString into a 1024-byte buffer prints
    # "Hello World" twice (4.10: min(22, 1024) bytes copied)
    Then the debug output contains in order:
      | UnicodeString:hello        |
      | UnicodeString1:Hello World |
      | UnicodeString2:Hello World |
    # after the init test's ExFreePool: 4.9 RtlInitUnicodeString(L"Hello World") is Length
    # 22, MaximumLength 24; the 1024-byte buffer the copy went into is freed with
    # RtlFreeUnicodeString (ExFreePool, no tag check)
    And the trace contains in order:
      | kind          | api                   | details.length | details.maximum_length | details.size |
      | ServiceCall   | ExFreePool            |                |                        |              |
      | ServiceReturn | RtlInitUnicodeString  | 22             | 24                     |              |
      | ServiceCall   | ExAllocatePoolWithTag |                |                        | 1024         |
      | ServiceCall   | RtlCopyUnicodeString  |                |                        |              |
      | ServiceCall   | RtlFreeUnicodeString  |                |                        |              |

  Scenario: The upcase test prints Hello World, then HELLO WORLD
    Given the scenario "book/ch06_string_test.yaml"
    When the application runs
    # book-experiments.md #8 ToUpper: "Hello World", then "HELLO WORLD"; 4.13 in place
    # with Allocate FALSE (Length 22 fits MaximumLength 24)
    Then the debug output contains in order:
      | UnicodeString2:Hello World |
      | UnicodeString1:Hello World |
      | UnicodeString1:HELLO WORLD |
    And the trace contains in order:
      | kind          | api                    | status         | details.maximum_length | details.text |
      | ServiceReturn | RtlUpcaseUnicodeString | STATUS_SUCCESS | 24                     | HELLO WORLD  |

  Scenario: The integer test converts -100 to a ULONG printed as -100, and 200 to "200"
    Given the scenario "book/ch06_string_test.yaml"
    When the application runs
    # book-experiments.md #8 ToInteger: "-100" converts to -100 and prints "Result:-100";
    # then 200 converts to "200"
    Then the debug output contains in order:
      | UnicodeString1:HELLO WORLD      |
      | Conver to integer succussfully! |
      | Result:-100                     |
      | Conver to string succussfully!  |
      | Result:200                      |
    # 4.14: '-' negates in unsigned arithmetic: the ULONG is 0xFFFFFF9C (4294967196), which
    # %d prints as -100
    And the trace contains in order:
      | kind          | api                       | status         | details.value |
      | ServiceReturn | RtlUnicodeStringToInteger | STATUS_SUCCESS | 4294967196    |
      | ServiceReturn | RtlIntegerToUnicodeString | STATUS_SUCCESS |               |

  Scenario: The whole run prints every subtest's lines and leaves no pool behind
    Given the scenario "book/ch06_string_test.yaml"
    When the application runs
    # book-experiments.md #8 StringTest, each subtest's lines in the order StringTest calls
    # them here, between DriverEntry's own two lines
    Then the debug output is:
      """
      Enter DriverEntry
      Conver succussfully!
      Result:Hello World
      Conver succussfully!
      Result:Hello World
      AnsiString1:hello
      AnsiString1:HELLO
      UnicodeString:hello
      UnicodeString1:Hello World
      UnicodeString2:Hello World
      UnicodeString1:Hello World
      UnicodeString1:HELLO WORLD
      Conver to integer succussfully!
      Result:-100
      Conver to string succussfully!
      Result:200
      DriverEntry end
      """
    # the three 1024-byte ExAllocatePool buffers (init, copy, integer tests) are freed, by
    # ExFreePool and RtlFreeUnicodeString (which frees without a tag check)
    And the pool holds 0 blocks of 0 bytes tagged "None"
    And the pool holds 0 blocks of 0 bytes tagged "Strg"
    And no bug check occurred
