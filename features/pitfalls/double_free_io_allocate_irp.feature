@pitfall @chapter11
Feature: Pitfall - IoFreeIrp of an IRP the I/O manager already freed (the book's #40 code)
  The book's CH11-T7-IoAllocateIrp DriverB as shipped: after DriverA completed the
  hand-built read, the I/O manager's completion APC in B's thread freed it, and B's own
  IoFreeIrp(pNewIrp) after the wait and ObDereferenceObject is a second free. The reader
  (S000) got a BSOD. The working version is features/book/ch11_io_allocate_irp.feature.
  (`%x` below stands for a printed pointer: book-experiments.md §4.)

  Scenario: The second IoFreeIrp is bug check 0x44 with the IRP as parameter 1
    Given the scenario "pitfalls/double_free_io_allocate_irp.yaml"
    When the application runs
    # book-experiments.md #40 "Observed output": (reader:S000) BSOD; §3 "Freeing an IRP
    # the I/O manager already freed". stacks-services 1.28: the crash comes at the
    # second IoFreeIrp; without Driver Verifier the default is 0x44
    # MULTIPLE_IRP_COMPLETE_REQUESTS with parameter 1 = the IRP (parameter 2 would be a
    # source line number: not asserted)
    Then the machine bug-checked with MULTIPLE_IRP_COMPLETE_REQUESTS (0x44)
    And the bug check parameter 1 is pointer printed after "DriverB:pNewIrp:"
    # book-experiments.md #40 "Observed output" (mechanism), stacks-services 1.27: the
    # first free is the I/O manager's, in its completion APC in B's thread, before the
    # wait returns; the second is B's, after A's close (ObDereferenceObject comes first
    # in the book's code)
    And the trace contains in order:
      | kind              | driver  | major        | status         | context |
      | IoCompleteRequest | DriverA | IRP_MJ_READ  | STATUS_SUCCESS | dpc     |
      | IoFreeIrp         |         | IRP_MJ_READ  |                | apc     |
      | WaitEnd           |         |              | STATUS_SUCCESS | thread  |
      | IoCallDriver      | DriverA | IRP_MJ_CLOSE |                | thread  |
      | BugCheck          |         |              |                | thread  |
    # book-experiments.md #40: the same output as the fixed version up to the crash
    # (STATUS_PENDING after the 3 s wait, then A's close); B never gets to its Leave
    And the debug output contains in order:
      | DriverB:Enter B HelloDDKRead                   |
      | pNewIrp->UserEvent :0                          |
      | DriverB:pNewIrp:%x                             |
      | DriverA:complete the Driver A IRP_MJ_READ irp! |
      | STATUS_PENDING                                 |
      | DriverA:Enter A HelloDDKClose                  |
      | DriverA:Leave A HelloDDKClose                  |
    And the debug output does not contain "DriverB:Leave B HelloDDKRead"

  Scenario: Under Driver Verifier the second IoFreeIrp is bug check 0xC9 with code 0x01
    Given the scenario "pitfalls/double_free_io_allocate_irp.yaml" with machine.verifier=true
    When the application runs
    # stacks-services 1.28: "Windows with Driver Verifier I/O verification (documented):
    # 0xC9 DRIVER_VERIFIER_IOMANAGER_VIOLATION, Param1 0x01 (free an object whose type
    # is not IO_TYPE_IRP), Param2 = IRP address"
    Then the machine bug-checked with DRIVER_VERIFIER_IOMANAGER_VIOLATION (0xC9)
    And the bug check parameter 1 is 0x01
    And the bug check parameter 2 is pointer printed after "DriverB:pNewIrp:"
    # verifier-rules.md R50 (IoAllocateForward, reported): the IoAllocateIrp IRP was sent
    # without a completion routine, so B never got it back (#40 "Pitfalls", the S000
    # lesson; stacks-services 1.29 is the correct pattern)
    And the trace reports a rule violation containing "IoAllocateForward"
    And the trace contains in order:
      | kind      | major       | context |
      | IoFreeIrp | IRP_MJ_READ | apc     |
      | WaitEnd   |             | thread  |
      | BugCheck  |             | thread  |
