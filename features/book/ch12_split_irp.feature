@book @chapter12
Feature: CH12-T5-SplitIrp - one 4096-byte read split into four 1024-byte reads (#46, §12.3)
  DriverB (DO_DIRECT_IO) builds a partial MDL for each 1024-byte chunk of the caller's
  buffer and sends the same IRP to DriverA four times: first from its dispatch routine,
  then from its completion routine, which re-issues the IRP and returns
  STATUS_MORE_PROCESSING_REQUIRED. DriverA fills each chunk with 0xFF and completes
  synchronously, so the calls nest.

  Scenario: ReadFile of 4096 bytes returns 4096 bytes of 0xFF in four nested chunks
    Given the scenario "book/ch12_split_irp.yaml"
    When the application runs
    # book-experiments.md #46 "Observed output": the app buffer holds 4096 x 0xFF and
    # ReadFile reports 4096 bytes (B completes with SUCCESS, Information = total)
    Then "r1" returned TRUE with 4096 bytes
    And "r1" completes with STATUS_SUCCESS and 4096 bytes
    And the buffer of "r1" holds "FF*4096"
    # book-experiments.md #46 "Observed output": B Enter plus the MDL prints
    # (4096 / 4096 / 1024); A(va, 1024) -> B completion #1 -> ... -> B completion #4 ->
    # `DriverB:Leave B HelloDDKReadCompletion`, then `DriverB:Leave B HelloDDKRead`.
    # DriverA's strings: "DriverA (T5 variant)". Addresses are not compared (§4).
    And the debug output contains in order:
      | DriverB:Enter B HelloDDKRead                     |
      | DriverB:(pIrp->MdlAddress)MmGetMdlByteCount:4096 |
      | DriverB:(new mdl)MmGetMdlByteCount:4096          |
      | DriverB:(new mdl)MmGetMdlByteCount:1024          |
      | DriverA:Enter A HelloDDKRead                     |
      | DriverA:totalLength:1024                         |
      | DriverB:Enter B HelloDDKReadCompletion           |
      | DriverA:Enter A HelloDDKRead                     |
      | DriverA:totalLength:1024                         |
      | DriverB:Enter B HelloDDKReadCompletion           |
      | DriverA:Enter A HelloDDKRead                     |
      | DriverA:totalLength:1024                         |
      | DriverB:Enter B HelloDDKReadCompletion           |
      | DriverA:Enter A HelloDDKRead                     |
      | DriverA:totalLength:1024                         |
      | DriverB:Enter B HelloDDKReadCompletion           |
      | DriverB:Leave B HelloDDKReadCompletion           |
      | DriverA:Leave A HelloDDKRead                     |
      | DriverB:Leave B HelloDDKRead                     |
    # book-experiments.md #46: the Leave line is printed once, by the last call
    And the debug output contains "DriverB:Leave B HelloDDKReadCompletion" 1 time
    And the debug output contains "DriverA:Enter A HelloDDKRead" 4 times
    And the debug output contains "DriverB:(pIrp->MdlAddress)MmGetMdlVirtualAddress:"
    And the debug output contains "DriverA:virtualAddress:"
    # book-experiments.md #46 "HelloDDKReadCompletion": it calls A from inside itself and
    # always returns MORE_PROCESSING_REQUIRED; A completes synchronously ("DriverA (T5)")
    And the trace of "r1" contains in order:
      | kind              | driver  | status                          |
      | IoCallDriver      | DriverB |                                 |
      | IoCallDriver      | DriverA |                                 |
      | IoCompleteRequest | DriverA | STATUS_SUCCESS                  |
      | CompletionRoutine | DriverB |                                 |
      | IoCallDriver      | DriverA |                                 |
      | CompletionRoutine | DriverB |                                 |
      | IoCallDriver      | DriverA |                                 |
      | CompletionRoutine | DriverB |                                 |
      | IoCallDriver      | DriverA |                                 |
      | CompletionRoutine | DriverB |                                 |
      | CompletionReturn  | DriverB | STATUS_MORE_PROCESSING_REQUIRED |
      | DispatchReturn    | DriverA | STATUS_SUCCESS                  |
      | IoCompleteRequest | DriverB | STATUS_SUCCESS                  |
      | DispatchReturn    | DriverB | STATUS_SUCCESS                  |
    And no bug check occurred
    And no thread is blocked
