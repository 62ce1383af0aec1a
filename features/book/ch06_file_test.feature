@book @chapter6
Feature: CH06-KernelFunctions FileTest - a driver's files on C: (#8, §6.2)
  The book's FileTest driver runs one subtest on \??\C:\1.log from DriverEntry; the reader
  edits FileTest() to pick it (here each scenario file picks it). The name reaches the C:
  volume's file system through its VPB, not a device, so the disposition, the share
  access and the offsets mean what they mean for a file (stacks-services 4.25-4.29).

  Scenario: The default run opens 1.log when it is there
    Given the scenario "book/ch06_file_test.yaml"
    When the application runs
    # book-experiments.md #8 FileTest: OpenFileTest2 prints "Create file succussfully!"
    # (sic) when 1.log exists
    Then the debug output is:
      """
      Create file succussfully!
      """
    # stacks-services 4.25: ZwOpenFile is FILE_OPEN; on an existing file the file system
    # answers FILE_OPENED (1) - a file system interprets the disposition, which a plain
    # device does not (1.6); 4.29: ZwClose of the last handle sends the file system
    # IRP_MJ_CLEANUP, the last reference IRP_MJ_CLOSE
    And the trace contains in order:
      | kind          | api        | driver | major          | status         | details.information |
      | IoCallDriver  |            | Ntfs   | IRP_MJ_CREATE  |                |                     |
      | ServiceReturn | ZwOpenFile |        |                | STATUS_SUCCESS | 1                   |
      | IoCallDriver  |            | Ntfs   | IRP_MJ_CLEANUP |                |                     |
      | IoCallDriver  |            | Ntfs   | IRP_MJ_CLOSE   |                |                     |
      | ServiceReturn | ZwClose    |        |                | STATUS_SUCCESS |                     |
    And the file "C:\1.log" holds "hello"
    And no bug check occurred

  Scenario: The default run without 1.log prints the failure line and closes no handle
    Given the scenario "book/ch06_file_test_missing.yaml"
    When the application runs
    # book-experiments.md #8: "Create file  unsuccessfully!" (two spaces) if the file is
    # missing; stacks-services 4.25: FILE_OPEN of a missing file is
    # STATUS_OBJECT_NAME_NOT_FOUND (0xC0000034) with no handle
    Then the debug output is:
      """
      Create file  unsuccessfully!
      """
    # the book's pitfall (#8 "Pitfalls", 4.25): ZwClose(hfile) on the handle the failed
    # open never wrote (0 here) - STATUS_INVALID_HANDLE, the configurable default; the
    # file system sees no cleanup or close, and nothing is created
    And the trace contains in order:
      | kind          | api        | status                       | details.handle | details.information |
      | ServiceReturn | ZwOpenFile | STATUS_OBJECT_NAME_NOT_FOUND | 0              | 5                   |
      | ServiceReturn | ZwClose    | STATUS_INVALID_HANDLE        | 0              |                     |
    And the file "C:\1.log" does not exist
    And no bug check occurred

  Scenario: Under Driver Verifier the ZwClose of no handle is bug check 0x93
    Given the scenario "book/ch06_file_test_missing.yaml" with machine.verifier=true
    When the application runs
    # stacks-services 4.25: with bad-handle checking an invalid handle closed from kernel
    # mode is 0x93 INVALID_KERNEL_HANDLE, P1 the handle, P2 1 (an invalid handle closed)
    Then the debug output contains "Create file  unsuccessfully!"
    And the machine bug-checked with INVALID_KERNEL_HANDLE (0x93)
    And the bug check parameters are 0, 1, 0, 0

  Scenario: CreateFileTest creates 1.log with FILE_OPEN_IF
    Given the scenario "book/ch06_file_test_create.yaml"
    When the application runs
    # book-experiments.md #8: CreateFileTest (FILE_OPEN_IF) prints "Create file
    # succussfully!"; stacks-services 4.25: on a missing file FILE_OPEN_IF creates it and
    # answers FILE_CREATED (2)
    Then the debug output is:
      """
      Create file succussfully!
      """
    And the trace contains in order:
      | kind          | api          | status         | details.information |
      | ServiceReturn | ZwCreateFile | STATUS_SUCCESS | 2                   |
      | ServiceReturn | ZwClose      | STATUS_SUCCESS |                     |
    And the file "C:\1.log" exists
    And the file "C:\1.log" is 0 bytes long
    And no bug check occurred

  Scenario: FileAttributeTest prints the file's length and moves its file pointer
    Given the scenario "book/ch06_file_test_attribute.yaml"
    When the application runs
    # book-experiments.md #8: "file length:%u" of EndOfFile.QuadPart, then the position
    # set to 100 prints "update the file pointer successfully."; stacks-services 4.27:
    # FileStandardInformation is 24 bytes, answered by the file system; 4.28: the position
    # of a synchronous file object is set by the I/O manager itself (no IRP). 4.16's
    # 64-bit %u pitfall does not show: %u reads the low 32 bits of EndOfFile, right for a
    # 2048-byte file, and no argument follows for the high half to shift into (the
    # template binds each field by name, so a shifted following argument could not be
    # shown anyway)
    Then the debug output is:
      """
      file length:2048
      update the file pointer successfully.
      """
    And the trace contains in order:
      | kind          | api                    | driver | major                    | status         |
      | IoCallDriver  |                        | Ntfs   | IRP_MJ_QUERY_INFORMATION |                |
      | ServiceReturn | ZwQueryInformationFile |        |                          | STATUS_SUCCESS |
      | ServiceReturn | ZwSetInformationFile   |        |                          | STATUS_SUCCESS |
      | IoCallDriver  |                        | Ntfs   | IRP_MJ_CLEANUP           |                |
    And the file "C:\1.log" is 2048 bytes long
    And no bug check occurred

  Scenario: WriteFileTest writes 1024 x 0xAA, then 1024 x 0xBB at offset 1024
    Given the scenario "book/ch06_file_test_write.yaml"
    When the application runs
    # book-experiments.md #8 WriteFileTest's four lines; stacks-services 4.26: the first
    # write has no ByteOffset, so it goes to the synchronous file object's current
    # position (0 on the fresh file), the second to offset 1024, which extends the file;
    # each Information is 1024
    Then the debug output is:
      """
      The program will write 1024 bytes
      The program really wrote 1024 bytes
      The program will append 1024 bytes
      The program really appended 1024 bytes
      """
    And the trace contains in order:
      | kind          | api          | status         | details.information | details.offset |
      | ServiceReturn | ZwCreateFile | STATUS_SUCCESS | 2                   |                |
      | ServiceCall   | ZwWriteFile  |                |                     |                |
      | ServiceCall   | ZwWriteFile  |                |                     | 1024           |
      | ServiceReturn | ZwClose      | STATUS_SUCCESS |                     |                |
    And the file "C:\1.log" is 2048 bytes long
    And the file "C:\1.log" holds 1024 bytes of 0xAA then 1024 bytes of 0xBB
    And the pool holds 0 blocks of 0 bytes tagged "None"
    And no bug check occurred

  Scenario: ReadFileTest reads the 2048 bytes WriteFileTest left
    Given the scenario "book/ch06_file_test_read.yaml"
    When the application runs
    # book-experiments.md #8 ReadFileTest: N = 2048 after WriteFileTest; stacks-services
    # 4.27 EndOfFile from FileStandardInformation (%d of the 64-bit value: its low half,
    # 4.16), 4.26 a read of the whole file from position 0
    Then the debug output is:
      """
      The program want to read 2048 bytes
      The program really read 2048 bytes
      """
    And the file "C:\1.log" holds 1024 bytes of 0xAA then 1024 bytes of 0xBB
    And the pool holds 0 blocks of 0 bytes tagged "None"
    And no bug check occurred
