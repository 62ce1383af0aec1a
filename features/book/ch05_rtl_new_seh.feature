@book @chapter5
Feature: CH05-RtlNewSEH - Rtl memory routines, C++ new/delete, SEH and ProbeForWrite (#7, §5.4-§5.6)
  Three DriverEntry tests: RtlTest compares two 1024-byte blocks after copying one over
  the other; the new test allocates and frees TestClass and char arrays through the
  class's and the global operator new/delete; SEHTest catches ProbeForWrite(NULL, 100,
  4) and runs a __finally block left by return.

  Scenario: The three tests print what the book's readers saw
    Given the scenario "book/ch05_rtl_new_seh.yaml"
    When the application runs
    # book-experiments.md #7 "Observed output": RtlTest "The two blocks are same."; new:
    # the five class lines twice, then the three global lines twice; SEH: Enter
    # ProbeTest, Enter __try block, Catch the exception, The program will keep going,
    # Leave ProbeTest, then Enter finallly block (sic)
    Then the debug output is:
      """
      The two blocks are same.
      TestClass::new
      Allocate size :1024
      TestClass::TestClass()
      TestClass::~TestClass()
      TestClass::delete
      TestClass::new
      Allocate size :1024
      TestClass::TestClass()
      TestClass::~TestClass()
      TestClass::delete
      global operator new
      Allocate size :100
      Global delete operator
      global operator new
      Allocate size :100
      Global delete operator
      Enter ProbeTest
      Enter __try block
      Catch the exception
      The program will keep going
      Leave ProbeTest
      Enter finallly block
      """
    # stacks-services 4.7: ProbeForWrite writes the first page, page 0 is never mapped:
    # STATUS_ACCESS_VIOLATION into the __except handler; the step after the probe never runs
    And the trace contains in order:
      | kind        | api      |
      | ServiceCall | __except |
    And the debug output does not contain "Leave __try block"
    # #7: "The buffers are never freed (a leak)": RtlTest's two blocks are still
    # allocated when the run ends (ExAllocatePool's tag is 'None'); every new was deleted
    And the pool holds 2 blocks of 2048 bytes tagged "None"
    And no bug check occurred
