"""Files from kernel mode: the C: volume's file system (stacks-services §4.D, rules
4.25-4.29; the book's #8 FileTest).

Every test is named after the rule it pins and says it in its docstring. Driver code is
written as generator functions, as in the other kernel tests; ``LOG`` is the book's
``\\??\\C:\\1.log``.
"""

from __future__ import annotations

import pytest

from harness.kernel import (APC_LEVEL, DELETE, FILE_ALL_ACCESS, FILE_ATTRIBUTE_ARCHIVE,
                            FILE_ATTRIBUTE_DIRECTORY, FILE_ATTRIBUTE_NORMAL, FILE_CREATE,
                            FILE_CREATED, FILE_DELETE_ON_CLOSE, FILE_DIRECTORY_FILE,
                            FILE_DOES_NOT_EXIST, FILE_EXISTS, FILE_NON_DIRECTORY_FILE,
                            FILE_NO_INTERMEDIATE_BUFFERING, FILE_OPEN, FILE_OPEN_IF,
                            FILE_OPENED, FILE_OVERWRITE, FILE_OVERWRITE_IF, FILE_OVERWRITTEN,
                            FILE_READ_ATTRIBUTES, FILE_SHARE_DELETE, FILE_SHARE_READ,
                            FILE_SHARE_WRITE, FILE_SUPERSEDE, FILE_SUPERSEDED,
                            FILE_SYNCHRONOUS_IO_NONALERT, FILE_USE_FILE_POINTER_POSITION,
                            FILE_WRITE_TO_END_OF_FILE, GENERIC_ALL, GENERIC_READ,
                            GENERIC_WRITE, IRP_MJ, NTSTATUS, SYNCHRONIZE, VOLUME_DEVICE,
                            Buffer, IoStatusBlock, NotModelledError, FileBasicInformation,
                            FileDispositionInformation, FileEndOfFileInformation,
                            FilePositionInformation, FileRenameInformation,
                            FileStandardInformation, file_rename_information, fs_add_file,
                            fs_mount_volume, large_integer, read_large_integer,
                            zw_close, zw_create_file, zw_open_file,
                            zw_query_information_file, zw_read_file,
                            zw_set_information_file)

S = NTSTATUS
SUCCESS = S.STATUS_SUCCESS
LOG = "\\??\\C:\\1.log"
SYNC = FILE_SYNCHRONOUS_IO_NONALERT
SHARE_RW = FILE_SHARE_READ | FILE_SHARE_WRITE
SENTINEL = 0x1234          # an IOSB value nobody writes
#: ByteOffset {LowPart, HighPart -1} as a LARGE_INTEGER
USE_FILE_POINTER = (-1 << 32) | FILE_USE_FILE_POINTER_POSITION
END_OF_FILE = (-1 << 32) | FILE_WRITE_TO_END_OF_FILE


# -- helpers ---------------------------------------------------------------------------

def mount(kernel, files=(), write_protected=False):
    """The C: volume with ``files`` ((name inside the volume, bytes or None = a
    directory)) on it."""
    vcb = fs_mount_volume(kernel, write_protected=write_protected)
    for path, data in files:
        fs_add_file(vcb, path, data)
    return vcb


def zw_open(kernel, name=LOG, access=GENERIC_ALL, share=SHARE_RW, disposition=FILE_OPEN,
            options=SYNC):
    """ZwCreateFile: (status, handle, the IOSB)."""
    iosb = IoStatusBlock(SENTINEL, SENTINEL)
    status, handle = yield from zw_create_file(kernel, name, access, iosb, share,
                                               disposition, options)
    return status, handle, iosb


def pool(kernel, size, data=b""):
    buffer = Buffer.new(kernel.pool, size)
    buffer.write(data)
    return buffer


def transfer(kernel, handle, data=None, length=None, offset=None):
    """ZwWriteFile of ``data`` or ZwReadFile of ``length``: (status, IOSB, buffer)."""
    iosb = IoStatusBlock(SENTINEL, SENTINEL)
    write = data is not None
    buffer = pool(kernel, len(data) if write else length, data or b"")
    status = yield from zw_read_file(kernel, handle, None, None, None, iosb, buffer,
                                     len(data) if write else length, offset, write)
    return status, iosb, buffer


def query(kernel, handle, information_class, length):
    iosb = IoStatusBlock(SENTINEL, SENTINEL)
    status, data = yield from zw_query_information_file(kernel, handle, iosb, length,
                                                        information_class)
    return status, data, iosb


def set_info(kernel, handle, information_class, record):
    iosb = IoStatusBlock(SENTINEL, SENTINEL)
    status = yield from zw_set_information_file(kernel, handle, iosb, record,
                                                information_class)
    return status, iosb


def end_of_file(data: bytes) -> int:
    return read_large_integer(data[8:16])


# -- 4.25 opening a file ------------------------------------------------------------------

#: The 4.25 table: disposition, exists -> status, Information, the file's bytes after.
DISPOSITIONS = [
    (FILE_SUPERSEDE, True, SUCCESS, FILE_SUPERSEDED, b""),
    (FILE_SUPERSEDE, False, SUCCESS, FILE_CREATED, b""),
    (FILE_OPEN, True, SUCCESS, FILE_OPENED, b"old"),
    (FILE_OPEN, False, S.STATUS_OBJECT_NAME_NOT_FOUND, FILE_DOES_NOT_EXIST, None),
    (FILE_CREATE, True, S.STATUS_OBJECT_NAME_COLLISION, FILE_EXISTS, b"old"),
    (FILE_CREATE, False, SUCCESS, FILE_CREATED, b""),
    (FILE_OPEN_IF, True, SUCCESS, FILE_OPENED, b"old"),
    (FILE_OPEN_IF, False, SUCCESS, FILE_CREATED, b""),
    (FILE_OVERWRITE, True, SUCCESS, FILE_OVERWRITTEN, b""),
    (FILE_OVERWRITE, False, S.STATUS_OBJECT_NAME_NOT_FOUND, FILE_DOES_NOT_EXIST, None),
    (FILE_OVERWRITE_IF, True, SUCCESS, FILE_OVERWRITTEN, b""),
    (FILE_OVERWRITE_IF, False, SUCCESS, FILE_CREATED, b""),
]
_NAMES = {FILE_SUPERSEDE: "SUPERSEDE", FILE_OPEN: "OPEN", FILE_CREATE: "CREATE",
          FILE_OPEN_IF: "OPEN_IF", FILE_OVERWRITE: "OVERWRITE",
          FILE_OVERWRITE_IF: "OVERWRITE_IF"}


@pytest.mark.parametrize("disposition, exists, status, information, after", DISPOSITIONS,
                         ids=[f"{_NAMES[d]}-{'exists' if e else 'absent'}"
                              for d, e, *_ in DISPOSITIONS])
def test_4_25_disposition_table(kernel, call, disposition, exists, status, information,
                                after):
    """stacks-services 4.25: each CreateDisposition row, on an existing and on a missing
    file: the status, IoStatus.Information (FILE_EXISTS with the collision,
    FILE_DOES_NOT_EXIST with a missing FILE_OPEN/FILE_OVERWRITE) and what the file holds
    afterwards (superseded and overwritten files are emptied, a failure touches
    nothing); only a success returns a handle."""
    vcb = mount(kernel, [("\\1.log", b"old")] if exists else [])

    def body():
        return (yield from zw_open(kernel, disposition=disposition))

    got, handle, iosb = call(body)
    assert (got, iosb.status, iosb.information) == (status, status, information)
    assert bool(handle) == (status == SUCCESS)
    assert vcb.snapshot().get("C:\\1.log") == after


def test_4_25_dos_devices_and_the_volume_device_name_reach_the_same_file(kernel, call):
    """stacks-services 1.2 / 4.25: ``\\??\\C:``, ``\\DosDevices\\C:`` and the volume's
    device name ``\\Device\\HarddiskVolume1`` reach the same file; names are
    case-insensitive."""
    mount(kernel, [("\\1.log", b"data")])

    def body():
        out = []
        for name in (LOG, "\\DosDevices\\C:\\1.log", VOLUME_DEVICE + "\\1.LOG"):
            status, handle, iosb = yield from zw_open(kernel, name)
            status_read, read_iosb, buffer = yield from transfer(kernel, handle, length=4)
            out.append((status, iosb.information, buffer.read()))
            yield from zw_close(kernel, handle)
        return out

    assert call(body) == [(SUCCESS, FILE_OPENED, b"data")] * 3


def test_4_25_the_create_goes_to_the_file_system_through_the_vpb(kernel, call, recorder):
    """stacks-services 4.25 / 1.7: a file name on the volume is not a direct device open:
    IRP_MJ_CREATE goes to the file system's volume device (the VPB's), and the file
    object's later IRPs follow it there; FileObject->DeviceObject stays the named
    storage device."""
    vcb = mount(kernel, [("\\1.log", b"x")])

    def body():
        status, handle, _ = yield from zw_open(kernel)
        yield from zw_close(kernel, handle)
        return status

    assert call(body) == SUCCESS
    calls = [(irp.stack[-1].major_function, device)
             for irp, device in recorder.of("irp_call")]
    assert calls == [(IRP_MJ.IRP_MJ_CREATE, vcb.device), (IRP_MJ.IRP_MJ_CLEANUP, vcb.device),
                     (IRP_MJ.IRP_MJ_CLOSE, vcb.device)]
    assert vcb.device.driver_object.name == "\\FileSystem\\Ntfs"
    assert vcb.real_device.vpb.device_object is vcb.device


def test_4_25_a_direct_open_of_the_volume_device_is_not_modelled(kernel, call):
    """stacks-services 1.7: the volume's name alone with attribute access is a direct
    device open: the storage driver would get the IRP, and raw volume I/O is not
    modelled (an error that says so, not a fake success)."""
    mount(kernel)

    def body():
        return (yield from zw_open(kernel, VOLUME_DEVICE, FILE_READ_ATTRIBUTES | SYNCHRONIZE))

    with pytest.raises(NotModelledError, match="raw volume I/O"):
        call(body)


def test_4_25_a_missing_directory_is_object_path_not_found(kernel, call):
    """stacks-services 4.25: a directory missing on the way is
    STATUS_OBJECT_PATH_NOT_FOUND (not NAME_NOT_FOUND), even with FILE_OPEN_IF: nothing
    is created."""
    vcb = mount(kernel)

    def body():
        status, handle, iosb = yield from zw_open(kernel, "\\??\\C:\\logs\\1.log",
                                                  disposition=FILE_OPEN_IF)
        return status, handle

    assert call(body) == (S.STATUS_OBJECT_PATH_NOT_FOUND, 0)
    assert vcb.snapshot() == {}


def test_4_25_a_directory_opened_as_a_file_is_file_is_a_directory(kernel, call):
    """stacks-services 4.25: FILE_NON_DIRECTORY_FILE on a directory is
    STATUS_FILE_IS_A_DIRECTORY; FILE_DIRECTORY_FILE on a file STATUS_NOT_A_DIRECTORY;
    without either option the directory opens."""
    mount(kernel, [("\\logs", None), ("\\1.log", b"")])

    def body():
        out = []
        for name, options in (("\\??\\C:\\logs", SYNC | FILE_NON_DIRECTORY_FILE),
                              (LOG, SYNC | FILE_DIRECTORY_FILE), ("\\??\\C:\\logs", SYNC)):
            status, handle, _ = yield from zw_open(kernel, name, GENERIC_READ,
                                                   options=options)
            out.append(status)
        return out

    assert call(body) == [S.STATUS_FILE_IS_A_DIRECTORY, S.STATUS_NOT_A_DIRECTORY, SUCCESS]


def test_4_25_the_root_directory_opens_by_the_volume_name_and_a_backslash(kernel, call):
    """stacks-services 1.2 / 4.25: ``\\??\\C:\\`` hands the file system the remaining
    name ``\\``: the root directory, which opens as a directory (and not as a file)."""
    mount(kernel)

    def body():
        directory, _, iosb = yield from zw_open(kernel, "\\??\\C:\\", GENERIC_READ,
                                                options=SYNC | FILE_DIRECTORY_FILE)
        as_file, _, _ = yield from zw_open(kernel, "\\??\\C:\\", GENERIC_READ,
                                           options=SYNC | FILE_NON_DIRECTORY_FILE)
        return directory, iosb.information, as_file

    assert call(body) == (SUCCESS, FILE_OPENED, S.STATUS_FILE_IS_A_DIRECTORY)


def test_4_25_a_directory_is_created_with_file_directory_file(kernel, call):
    """stacks-services 4.25: FILE_CREATE with FILE_DIRECTORY_FILE makes a directory,
    in which files can then be created."""
    vcb = mount(kernel)

    def body():
        made, _, iosb = yield from zw_open(kernel, "\\??\\C:\\logs", disposition=FILE_CREATE,
                                           options=SYNC | FILE_DIRECTORY_FILE)
        inside, _, _ = yield from zw_open(kernel, "\\??\\C:\\logs\\a.txt",
                                          disposition=FILE_CREATE)
        return made, iosb.information, inside

    assert call(body) == (SUCCESS, FILE_CREATED, SUCCESS)
    assert vcb.snapshot() == {"C:\\logs": None, "C:\\logs\\a.txt": b""}


def test_4_25_a_share_conflict_is_sharing_violation(kernel, call):
    """stacks-services 4.25 (IoCheckShareAccess): a second open that writes while the
    first shares only reading, or that refuses to share the first one's reading, is
    STATUS_SHARING_VIOLATION; one that shares what is taken succeeds; an open for
    attributes only never conflicts."""
    mount(kernel, [("\\1.log", b"")])

    def body():
        first, h1, _ = yield from zw_open(kernel, access=GENERIC_READ, share=FILE_SHARE_READ)
        writer, _, _ = yield from zw_open(kernel, access=GENERIC_WRITE, share=SHARE_RW)
        exclusive, _, _ = yield from zw_open(kernel, access=GENERIC_READ, share=0)
        reader, h2, _ = yield from zw_open(kernel, access=GENERIC_READ, share=SHARE_RW)
        attributes, _, _ = yield from zw_open(kernel, access=FILE_READ_ATTRIBUTES, share=0)
        return first, writer, exclusive, reader, attributes

    assert call(body) == (SUCCESS, S.STATUS_SHARING_VIOLATION, S.STATUS_SHARING_VIOLATION,
                          SUCCESS, SUCCESS)


def test_4_25_a_write_protected_volume_refuses_write_access(kernel, call):
    """stacks-services 4.25 (§3): on a write-protected volume any write access, and any
    create, is STATUS_MEDIA_WRITE_PROTECTED; reading still works."""
    mount(kernel, [("\\1.log", b"ro")], write_protected=True)

    def body():
        write, _, _ = yield from zw_open(kernel, access=GENERIC_WRITE)
        create, _, _ = yield from zw_open(kernel, "\\??\\C:\\new.log", GENERIC_READ,
                                          disposition=FILE_CREATE)
        read, handle, _ = yield from zw_open(kernel, access=GENERIC_READ)
        status, iosb, buffer = yield from transfer(kernel, handle, length=2)
        return write, create, read, buffer.read()

    assert call(body) == (S.STATUS_MEDIA_WRITE_PROTECTED, S.STATUS_MEDIA_WRITE_PROTECTED,
                          SUCCESS, b"ro")


def test_4_25_zw_close_of_a_failed_open_is_invalid_handle(kernel, call):
    """stacks-services 4.25 (book #8 pitfall): a failed open writes no handle, so the
    book's ZwClose(hfile) closes whatever the variable held (0 here): without Verifier
    that returns STATUS_INVALID_HANDLE (the configurable default)."""
    mount(kernel)

    def body():
        status, handle, iosb = yield from zw_open_file_book(kernel)
        closed = yield from zw_close(kernel, handle)
        return status, handle, closed

    assert call(body) == (S.STATUS_OBJECT_NAME_NOT_FOUND, 0, S.STATUS_INVALID_HANDLE)


def zw_open_file_book(kernel):
    """OpenFileTest2's ZwOpenFile(GENERIC_ALL, share read|write, synchronous)."""
    iosb = IoStatusBlock(SENTINEL, SENTINEL)
    status, handle = yield from zw_open_file(kernel, LOG, GENERIC_ALL, iosb, SHARE_RW, SYNC)
    return status, handle, iosb


# -- 4.26 reading and writing ---------------------------------------------------------------

def test_4_26_write_at_the_position_then_at_1024_gives_2048_bytes(kernel, call):
    """stacks-services 4.26 (book #8 WriteFileTest): 1024 x 0xAA at the current position
    (0 on a fresh open, NULL ByteOffset), then 1024 x 0xBB at offset 1024: each write's
    Information is 1024 and the file is 2048 bytes, AA then BB."""
    vcb = mount(kernel)

    def body():
        _, handle, _ = yield from zw_open(kernel, access=GENERIC_WRITE,
                                          share=FILE_SHARE_WRITE, disposition=FILE_OPEN_IF)
        first, iosb1, _ = yield from transfer(kernel, handle, b"\xAA" * 1024)
        second, iosb2, _ = yield from transfer(kernel, handle, b"\xBB" * 1024, offset=1024)
        yield from zw_close(kernel, handle)
        return first, iosb1.information, second, iosb2.information

    assert call(body) == (SUCCESS, 1024, SUCCESS, 1024)
    assert vcb.snapshot()["C:\\1.log"] == b"\xAA" * 1024 + b"\xBB" * 1024


def test_4_26_a_synchronous_file_moves_its_position_by_what_was_transferred(kernel, call):
    """stacks-services 4.26 / 1.11: on a synchronous file object the file system moves
    CurrentByteOffset past the bytes moved; a NULL ByteOffset and
    {FILE_USE_FILE_POINTER_POSITION, -1} both use it."""
    mount(kernel, [("\\1.log", b"abcdefgh")])

    def body():
        _, handle, _ = yield from zw_open(kernel)
        _, _, one = yield from transfer(kernel, handle, length=3)
        _, _, two = yield from transfer(kernel, handle, length=3, offset=USE_FILE_POINTER)
        status, position, _ = yield from query(kernel, handle, FilePositionInformation, 8)
        return one.read(), two.read(), read_large_integer(position)

    assert call(body) == (b"abc", b"def", 6)


def test_4_26_write_to_end_of_file_appends(kernel, call):
    """stacks-services 4.26: ByteOffset {FILE_WRITE_TO_END_OF_FILE, -1} writes at the
    end of the file, wherever the file pointer is."""
    vcb = mount(kernel, [("\\1.log", b"head")])

    def body():
        _, handle, _ = yield from zw_open(kernel)
        status, iosb, _ = yield from transfer(kernel, handle, b"-tail", offset=END_OF_FILE)
        return status, iosb.information

    assert call(body) == (SUCCESS, 5)
    assert vcb.snapshot()["C:\\1.log"] == b"head-tail"


def test_4_26_a_write_past_the_end_extends_the_file_with_zeros(kernel, call):
    """stacks-services 4.26: a write that starts past the end extends the file; the gap
    reads as zeros."""
    vcb = mount(kernel, [("\\1.log", b"ab")])

    def body():
        _, handle, _ = yield from zw_open(kernel)
        status, _, _ = yield from transfer(kernel, handle, b"z", offset=5)
        return status

    assert call(body) == SUCCESS
    assert vcb.snapshot()["C:\\1.log"] == b"ab\0\0\0z"


def test_4_26_a_read_at_the_end_is_end_of_file_and_writes_no_iosb(kernel, call):
    """stacks-services 4.26 / 1.14: a read starting at or after the end of the file is
    STATUS_END_OF_FILE with nothing read; an error completed inline writes no IOSB."""
    mount(kernel, [("\\1.log", b"abc")])

    def body():
        _, handle, _ = yield from zw_open(kernel)
        at_end = yield from transfer(kernel, handle, length=4, offset=3)
        after = yield from transfer(kernel, handle, length=4, offset=100)
        return at_end[0], at_end[1].information, after[0]

    assert call(body) == (S.STATUS_END_OF_FILE, SENTINEL, S.STATUS_END_OF_FILE)


def test_4_26_a_read_crossing_the_end_is_short_and_succeeds(kernel, call):
    """stacks-services 4.26: a read that crosses the end returns STATUS_SUCCESS with the
    short count in Information; the rest of the buffer is untouched."""
    mount(kernel, [("\\1.log", b"abcdef")])

    def body():
        _, handle, _ = yield from zw_open(kernel)
        status, iosb, buffer = yield from transfer(kernel, handle, length=8, offset=4)
        return status, iosb.information, buffer.read()

    assert call(body) == (SUCCESS, 2, b"ef" + bytes(6))


def test_4_26_an_asynchronous_file_needs_an_offset_and_keeps_no_position(kernel, call):
    """stacks-services 4.26 / 1.11: an asynchronous file object with a NULL ByteOffset
    is STATUS_INVALID_PARAMETER before any IRP; with one, the transfer happens but
    CurrentByteOffset does not move."""
    mount(kernel, [("\\1.log", b"abcdef")])

    def body():
        _, handle, _ = yield from zw_open(kernel, options=0)
        null = yield from transfer(kernel, handle, length=2)
        status, iosb, buffer = yield from transfer(kernel, handle, length=2, offset=2)
        _, position, _ = yield from query(kernel, handle, FilePositionInformation, 8)
        return null[0], status, buffer.read(), read_large_integer(position)

    assert call(body) == (S.STATUS_INVALID_PARAMETER, SUCCESS, b"cd", 0)


# -- 4.27 querying ----------------------------------------------------------------------------

def test_4_27_standard_information_gives_end_of_file_and_allocation(kernel, call):
    """stacks-services 4.27 (book #8 FileAttributeTest): FileStandardInformation is 24
    bytes: AllocationSize (EndOfFile rounded up to the 4 KB cluster), EndOfFile,
    NumberOfLinks 1, DeletePending, Directory; Information is 24."""
    mount(kernel, [("\\1.log", b"\xAA" * 2048)])

    def body():
        _, handle, _ = yield from zw_open(kernel, access=GENERIC_READ)
        return (yield from query(kernel, handle, FileStandardInformation, 24))

    status, data, iosb = call(body)
    assert (status, iosb.status, iosb.information, len(data)) == (SUCCESS, SUCCESS, 24, 24)
    assert (read_large_integer(data[0:8]), end_of_file(data), data[16], data[20], data[21]) \
        == (4096, 2048, 1, 0, 0)


def test_4_27_a_short_buffer_is_info_length_mismatch(kernel, call, recorder):
    """stacks-services 4.27: the I/O manager checks the length against the class's size
    first: STATUS_INFO_LENGTH_MISMATCH, no IRP, the IOSB untouched."""
    mount(kernel, [("\\1.log", b"x")])

    def body():
        _, handle, _ = yield from zw_open(kernel, access=GENERIC_READ)
        sent = len(recorder.of("irp_call"))
        result = yield from query(kernel, handle, FileStandardInformation, 23)
        return result, len(recorder.of("irp_call")) - sent

    (status, data, iosb), irps = call(body)
    assert (status, data, iosb.status, irps) == (S.STATUS_INFO_LENGTH_MISMATCH, None,
                                                 SENTINEL, 0)


def test_4_27_a_class_that_cannot_be_queried_is_invalid_info_class(kernel, call):
    """stacks-services 4.27: FileEndOfFileInformation is set-only and
    FileStandardInformation query-only: asking the other way is
    STATUS_INVALID_INFO_CLASS; a class beyond the enumeration too."""
    mount(kernel, [("\\1.log", b"x")])

    def body():
        _, handle, _ = yield from zw_open(kernel)
        eof, _, _ = yield from query(kernel, handle, FileEndOfFileInformation, 8)
        beyond, _, _ = yield from query(kernel, handle, 99, 64)
        standard, _ = yield from set_info(kernel, handle, FileStandardInformation, bytes(24))
        return eof, beyond, standard

    assert call(body) == (S.STATUS_INVALID_INFO_CLASS,) * 3


def test_4_27_the_position_of_a_synchronous_file_comes_from_the_io_manager(kernel, call,
                                                                          recorder):
    """stacks-services 4.27: FilePositionInformation of a synchronous file object is
    answered by the I/O manager from CurrentByteOffset: no IRP reaches the file system."""
    mount(kernel, [("\\1.log", b"abcdef")])

    def body():
        _, handle, _ = yield from zw_open(kernel)
        yield from transfer(kernel, handle, length=4)
        sent = len(recorder.of("irp_call"))
        status, data, iosb = yield from query(kernel, handle, FilePositionInformation, 8)
        return status, read_large_integer(data), iosb.information, \
            len(recorder.of("irp_call")) - sent

    assert call(body) == (SUCCESS, 4, 8, 0)


def test_4_27_basic_information_has_the_times_and_the_attributes(kernel, call):
    """stacks-services 4.27: FileBasicInformation is 40 bytes: CreationTime,
    LastAccessTime, LastWriteTime, ChangeTime and FileAttributes; a file created with
    FILE_ATTRIBUTE_NORMAL reads back as FILE_ATTRIBUTE_ARCHIVE, a directory as
    FILE_ATTRIBUTE_DIRECTORY; a write moves LastWriteTime to the current system time."""
    kernel.boot_system_time = 10_000_000
    mount(kernel, [("\\logs", None)])

    def body():
        iosb = IoStatusBlock()
        _, handle = yield from zw_create_file(kernel, LOG, GENERIC_ALL, iosb, 0,
                                              FILE_CREATE, SYNC,
                                              file_attributes=FILE_ATTRIBUTE_NORMAL)
        _, created, _ = yield from query(kernel, handle, FileBasicInformation, 40)
        from harness.kernel import ke_delay_execution_thread, KernelMode
        yield from ke_delay_execution_thread(kernel, KernelMode, False, -10_000_000)
        yield from transfer(kernel, handle, b"x")
        _, written, iosb = yield from query(kernel, handle, FileBasicInformation, 40)
        _, directory, _ = yield from zw_open(kernel, "\\??\\C:\\logs", GENERIC_READ)
        _, dir_info, _ = yield from query(kernel, directory, FileBasicInformation, 40)
        return created, written, iosb.information, dir_info

    created, written, information, dir_info = call(body)
    times = [read_large_integer(created[i:i + 8]) for i in range(0, 32, 8)]
    assert times == [10_000_000] * 4 and information == 40
    assert read_large_integer(written[16:24]) > 10_000_000
    assert read_large_integer(written[0:8]) == 10_000_000
    assert int.from_bytes(created[32:36], "little") == FILE_ATTRIBUTE_ARCHIVE
    assert int.from_bytes(dir_info[32:36], "little") == FILE_ATTRIBUTE_DIRECTORY


# -- 4.28 setting -----------------------------------------------------------------------------

def test_4_28_set_position_moves_the_file_pointer(kernel, call):
    """stacks-services 4.28 (book #8: 100): FilePositionInformation on a synchronous
    file object sets CurrentByteOffset, where the next NULL-offset read starts; a
    negative offset is STATUS_INVALID_PARAMETER."""
    mount(kernel, [("\\1.log", bytes(range(200)))])

    def body():
        _, handle, _ = yield from zw_open(kernel)
        status, iosb = yield from set_info(kernel, handle, FilePositionInformation,
                                           large_integer(100))
        _, _, buffer = yield from transfer(kernel, handle, length=2)
        negative, _ = yield from set_info(kernel, handle, FilePositionInformation,
                                          large_integer(-5))
        return status, iosb.status, buffer.read(), negative

    assert call(body) == (SUCCESS, SUCCESS, bytes([100, 101]), S.STATUS_INVALID_PARAMETER)


def test_4_28_set_position_without_buffering_must_be_sector_aligned(kernel, call):
    """stacks-services 4.28: with FILE_NO_INTERMEDIATE_BUFFERING the new position must be
    a multiple of the sector size (512), else STATUS_INVALID_PARAMETER."""
    mount(kernel, [("\\1.log", b"")])

    def body():
        _, handle, _ = yield from zw_open(kernel, options=SYNC | FILE_NO_INTERMEDIATE_BUFFERING)
        odd, _ = yield from set_info(kernel, handle, FilePositionInformation, large_integer(100))
        aligned, _ = yield from set_info(kernel, handle, FilePositionInformation,
                                         large_integer(1024))
        return odd, aligned

    assert call(body) == (S.STATUS_INVALID_PARAMETER, SUCCESS)


def test_4_28_end_of_file_truncates_and_extends(kernel, call):
    """stacks-services 4.28: FileEndOfFileInformation cuts the file to EndOfFile or
    extends it with zeros."""
    vcb = mount(kernel, [("\\1.log", b"abcdef")])

    def body():
        _, handle, _ = yield from zw_open(kernel)
        cut, _ = yield from set_info(kernel, handle, FileEndOfFileInformation, large_integer(2))
        short = vcb.snapshot()["C:\\1.log"]
        grow, _ = yield from set_info(kernel, handle, FileEndOfFileInformation, large_integer(4))
        return cut, short, grow

    assert call(body) == (SUCCESS, b"ab", SUCCESS)
    assert vcb.snapshot()["C:\\1.log"] == b"ab\0\0"


def test_4_28_rename_needs_delete_access_and_collides_without_replace(kernel, call):
    """stacks-services 4.28: FileRenameInformation without DELETE access is
    STATUS_ACCESS_DENIED; onto an existing name without ReplaceIfExists it is
    STATUS_OBJECT_NAME_COLLISION; with it the target is replaced; another name in the
    same directory moves the file."""
    vcb = mount(kernel, [("\\1.log", b"one"), ("\\2.log", b"two")])

    def body():
        _, reader, _ = yield from zw_open(kernel, access=GENERIC_READ,
                                          share=SHARE_RW | FILE_SHARE_DELETE)
        denied, _ = yield from set_info(kernel, reader, FileRenameInformation,
                                        file_rename_information(False, 0, "3.log"))
        yield from zw_close(kernel, reader)
        _, handle, _ = yield from zw_open(kernel, access=DELETE | SYNCHRONIZE)
        collide, _ = yield from set_info(kernel, handle, FileRenameInformation,
                                         file_rename_information(False, 0, "\\??\\C:\\2.log"))
        replace, _ = yield from set_info(kernel, handle, FileRenameInformation,
                                         file_rename_information(True, 0, "\\??\\C:\\2.log"))
        return denied, collide, replace

    assert call(body) == (S.STATUS_ACCESS_DENIED, S.STATUS_OBJECT_NAME_COLLISION, SUCCESS)
    assert vcb.snapshot() == {"C:\\2.log": b"one"}


def test_4_28_disposition_needs_delete_access(kernel, call):
    """stacks-services 4.28: FileDispositionInformation without DELETE access is
    STATUS_ACCESS_DENIED and the file stays."""
    vcb = mount(kernel, [("\\1.log", b"x")])

    def body():
        _, handle, _ = yield from zw_open(kernel, access=GENERIC_READ | GENERIC_WRITE)
        status, _ = yield from set_info(kernel, handle, FileDispositionInformation, b"\x01")
        yield from zw_close(kernel, handle)
        return status

    assert call(body) == S.STATUS_ACCESS_DENIED
    assert "C:\\1.log" in vcb.snapshot()


def test_4_28_a_delete_pending_file_refuses_opens_and_goes_at_the_last_close(kernel, call):
    """stacks-services 4.28: DeleteFile TRUE marks the file delete-pending (the standard
    information shows it); new opens fail with STATUS_DELETE_PENDING; the file goes
    when its last handle is closed, not before."""
    vcb = mount(kernel, [("\\1.log", b"x")])

    def body():
        _, first, _ = yield from zw_open(kernel, share=SHARE_RW | FILE_SHARE_DELETE)
        _, second, _ = yield from zw_open(kernel, share=SHARE_RW | FILE_SHARE_DELETE)
        status, _ = yield from set_info(kernel, first, FileDispositionInformation, b"\x01")
        _, info, _ = yield from query(kernel, second, FileStandardInformation, 24)
        refused, _, _ = yield from zw_open(kernel, share=SHARE_RW | FILE_SHARE_DELETE)
        yield from zw_close(kernel, first)
        still_there = "C:\\1.log" in vcb.snapshot()
        yield from zw_close(kernel, second)
        return status, info[20], refused, still_there

    assert call(body) == (SUCCESS, 1, S.STATUS_DELETE_PENDING, True)
    assert vcb.snapshot() == {}


# -- 4.29 closing -----------------------------------------------------------------------------

def test_4_29_the_last_close_releases_the_share_access(kernel, call):
    """stacks-services 4.29: ZwClose of the last handle sends IRP_MJ_CLEANUP, which
    releases the open's share access: an exclusive open refused before succeeds after."""
    mount(kernel, [("\\1.log", b"")])

    def body():
        _, handle, _ = yield from zw_open(kernel, access=GENERIC_READ, share=0)
        before, _, _ = yield from zw_open(kernel, access=GENERIC_READ, share=0)
        closed = yield from zw_close(kernel, handle)
        after, _, _ = yield from zw_open(kernel, access=GENERIC_READ, share=0)
        return before, closed, after

    assert call(body) == (S.STATUS_SHARING_VIOLATION, SUCCESS, SUCCESS)


def test_4_29_delete_on_close_deletes_the_file_at_cleanup(kernel, call):
    """stacks-services 4.29: an open with FILE_DELETE_ON_CLOSE deletes the file when its
    handle is closed (at IRP_MJ_CLEANUP)."""
    vcb = mount(kernel)

    def body():
        status, handle, _ = yield from zw_open(kernel, access=FILE_ALL_ACCESS,
                                               disposition=FILE_CREATE,
                                               options=SYNC | FILE_DELETE_ON_CLOSE)
        created = "C:\\1.log" in vcb.snapshot()
        yield from zw_close(kernel, handle)
        return status, created

    assert call(body) == (SUCCESS, True)
    assert vcb.snapshot() == {}


def test_4_29_file_services_are_passive_level_only(kernel, recorder, call):
    """stacks-services 4.29 / 1.8: ZwQueryInformationFile and ZwSetInformationFile are
    PASSIVE_LEVEL services like the others: above it the call is reported."""
    mount(kernel, [("\\1.log", b"")])

    def body():
        _, handle, _ = yield from zw_open(kernel)
        kernel.cpu.irql = APC_LEVEL
        yield from query(kernel, handle, FilePositionInformation, 8)
        yield from set_info(kernel, handle, FilePositionInformation, large_integer(0))
        kernel.cpu.irql = 0
        return None

    call(body)
    assert [args[0] for args in recorder.of("violation")] == ["PASSIVE_LEVEL"] * 2
