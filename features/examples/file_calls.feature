@example
Feature: File-object state for device handles (win32-io §5)
  SetFilePointer, FlushFileBuffers, NtQueryInformationFile, NtQueryVolumeInformationFile
  and DuplicateHandle against Echo, a driver without QUERY/SET_INFORMATION or FLUSH handlers.

  Scenario: What reaches the driver and what the I/O manager answers itself
    Given the scenario "examples/file_calls.yaml"
    When the application runs
    # 5.5 / §10.18: on a synchronous handle FILE_BEGIN and FILE_CURRENT are the I/O
    # manager's (no IRP); the position is then the read's ByteOffset (5.5)
    Then "seek" returned 512
    And "ahead" returned TRUE with 0 bytes
    And the debug output contains "Echo: READ at 528"
    # 5.5a: a position below 0 is ERROR_NEGATIVE_SEEK without any NT call
    And "negative" returned FALSE with error ERROR_NEGATIVE_SEEK
    # 5.5a: FILE_END asks FileStandardInformation, always an IRP: no handler -> 1
    And "at_end" returned FALSE with error ERROR_INVALID_FUNCTION
    # 5.5a / 4.27: FilePositionInformation of a sync file is answered (8 bytes), the
    # standard information goes to the driver and fails
    And the application printed a line containing "where=8"
    And "standard" left the last error ERROR_INVALID_FUNCTION
    # FileFsDeviceInformation is the I/O manager's (DeviceType 0x22); the volume class
    # reaches the driver's IRP_MJ_QUERY_VOLUME_INFORMATION
    And the application printed a line containing "device=34"
    And the debug output contains "Echo: QUERY_VOLUME FileFsVolumeInformation"
    # FlushFileBuffers is an IRP_MJ_FLUSH_BUFFERS; no handler -> ERROR_INVALID_FUNCTION
    And "flush" returned FALSE with error ERROR_INVALID_FUNCTION
    # 5.5 (uncertain, the documented choice): on an overlapped handle the position is an
    # IRP_MJ_SET_INFORMATION the driver fails
    And "ov_seek" returned FALSE with error ERROR_INVALID_FUNCTION
    # 5.7: closing h while its duplicate h2 is open sends nothing; CLEANUP and CLOSE
    # come with the last handle of the file object
    And the trace contains in order:
      | kind     | text          |
      | AppPrint | closed h      |
      | DbgPrint | Echo: CLEANUP |
      | DbgPrint | Echo: CLOSE   |
    And no bug check occurred
