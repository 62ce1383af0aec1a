"""Files in a scenario: the files: and volume: sections (located errors, what C: holds at
boot and at the end), the file blocks' buffers and records, and the file steps
(stacks-services 4.25-4.29)."""

from __future__ import annotations

import textwrap

import pytest

from harness.bdd import steps
from harness.bdd.context import IrpScenario
from scenario_text import problems, run

LOCALS = """\
h: HANDLE
s: NTSTATUS
iosb: IO_STATUS_BLOCK
fsi: FILE_STANDARD_INFORMATION
fbi: FILE_BASIC_INFORMATION
fpi: FILE_POSITION_INFORMATION
feof: FILE_END_OF_FILE_INFORMATION
fdi: FILE_DISPOSITION_INFORMATION
p: PUCHAR
"""
OPEN = """\
- zw_create_file: {name: '\\??\\C:\\1.log', access: GENERIC_ALL, iosb: iosb, handle: h,
                   status: s, share: FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                   disposition: FILE_OPEN_IF, options: FILE_SYNCHRONOUS_IO_NONALERT}
"""


def opened(steps_: str) -> str:
    """OPEN, then ``steps_`` (an indented block)."""
    return OPEN + textwrap.dedent(steps_)


def scenario(steps_: str = "- log: x\n", top: str = "") -> str:
    body = textwrap.indent(textwrap.dedent(steps_), " " * 6)
    return ("scenario: t\ntitle: t\n" + textwrap.dedent(top)
            + "drivers:\n  - name: D\n"
            "    devices: [{name: '\\Device\\D', link: '\\??\\D'}]\n"
            "    locals:\n" + textwrap.indent(LOCALS, " " * 6)
            + "    driver_entry:\n" + body)


# -- files: and volume: ----------------------------------------------------------------------

def test_files_are_on_c_when_driver_entry_runs_and_in_the_result(tmp_path):
    """4.25: files: is installed before the drivers load (directories on the way made);
    RunResult.files is C: at the end, a directory as None."""
    result = run(scenario(OPEN + "- log: 'open {s:08X} {iosb.Information}'\n", top="""\
        files:
          - {path: 'C:\\1.log', data: ["AA*2", "hex: 01"]}
          - {path: 'C:\\logs\\a.txt', data: hi}
          - {path: 'C:\\empty', directory: true}
        """), tmp_path)
    assert result.debug_lines == ["open 00000000 1"]          # FILE_OPENED
    assert result.files == {"C:\\1.log": b"\xAA\xAA\x01", "C:\\empty": None,
                            "C:\\logs": None, "C:\\logs\\a.txt": b"hi"}
    assert result.file("c:\\LOGS\\A.TXT") == b"hi"


def test_bad_files_entries_are_located(tmp_path):
    """Bad input: a name NTFS refuses, a directory with data, the same path twice (any
    case), a path under a file - each at its line; a path not on C: and a bad pattern are the
    schema's errors, located too."""
    found = problems(scenario(top="""\
        files:
          - {path: 'C:\\a?b'}
          - {path: 'C:\\d', directory: true, data: x}
          - {path: 'C:\\f.txt'}
          - {path: 'C:\\F.TXT'}
          - {path: 'C:\\f.txt\\inner'}
        """), tmp_path)
    assert found[0].startswith("4:") and "'a?b' is not a name NTFS allows" in found[0]
    assert found[1].startswith("5:") and "is a directory: it has no data" in found[1]
    assert found[2].startswith("7:") and "already in files: (entry 2" in found[2]
    assert found[3].startswith("8:") and "entry 2 is a file" in found[3]
    assert len(found) == 4
    schema = problems(scenario(top="files:\n  - {path: 'D:\\x'}\n"
                                   "  - {path: 'C:\\g', data: 'hex: 0'}\n"), tmp_path)
    assert len(schema) == 2 and schema[0].startswith("4:") and schema[1].startswith("5:")
    assert "files/1/data" in schema[1]


def test_a_write_protected_volume_refuses_the_create(tmp_path):
    """4.25: volume: {write_protected: true}: an open for write is
    STATUS_MEDIA_WRITE_PROTECTED and nothing is created."""
    result = run(scenario(OPEN + "- log: '{s:08X}'\n",
                          top="volume: {write_protected: true}\n"), tmp_path)
    assert result.debug_lines == ["C00000A2"] and result.files == {}


# -- the blocks ---------------------------------------------------------------------------

def test_query_and_set_information_blocks_read_and_write_the_records(tmp_path):
    """4.27/4.28 through the blocks: FileStandardInformation into a struct local, a short
    length refused, the position set from a FILE_POSITION_INFORMATION, EndOfFile cut."""
    result = run(scenario(opened("""\
        - zw_query_information_file: {handle: h, iosb: iosb, info: fsi,
                                      class: FileStandardInformation, status: s}
        - log: 'std {s:08X} {iosb.Information} {fsi.EndOfFile} {fsi.AllocationSize}'
        - zw_query_information_file: {handle: h, info: fbi, length: 39,
                                      class: FileBasicInformation, status: s}
        - log: 'short {s:08X}'
        - set: {fpi.CurrentByteOffset: 3}
        - zw_set_information_file: {handle: h, info: fpi, class: FilePositionInformation}
        - zw_query_information_file: {handle: h, info: fpi, class: FilePositionInformation}
        - log: 'pos {fpi.CurrentByteOffset}'
        - set: {feof.EndOfFile: 2}
        - zw_set_information_file: {handle: h, info: feof, class: FileEndOfFileInformation,
                                    status: s}
        - log: 'eof {s:08X}'
        - zw_close: h
        """), top="files: [{path: 'C:\\1.log', data: 'AB*5000'}]\n"), tmp_path)
    assert result.debug_lines == ["std 00000000 24 5000 8192", "short C0000004", "pos 3",
                                  "eof 00000000"]
    assert result.file("C:\\1.log") == b"\xAB\xAB"


def test_rename_and_disposition_blocks(tmp_path):
    """4.28 through the blocks: rename: to a bare name moves the file in its directory;
    FileDispositionInformation deletes it at the last close."""
    result = run(scenario(opened("""\
        - zw_set_information_file: {handle: h, rename: {name: 2.log}, status: s}
        - log: 'rename {s:08X}'
        - zw_close: h
        - zw_create_file: {name: '\\??\\C:\\2.log', access: DELETE | SYNCHRONIZE,
                           handle: h, options: FILE_SYNCHRONOUS_IO_NONALERT}
        - set: {fdi.DeleteFile: 1}        # TRUE
        - zw_set_information_file: {handle: h, info: fdi, class: FileDispositionInformation,
                                    status: s}
        - log: 'delete {s:08X}'
        - zw_close: h
        """), top="files: [{path: 'C:\\1.log', data: x}, {path: 'C:\\keep'}]\n"), tmp_path)
    assert result.debug_lines == ["rename 00000000", "delete 00000000"]
    assert result.files == {"C:\\keep": b""}


def test_write_and_read_through_a_pool_pointer(tmp_path):
    """4.26 through the blocks: buffer: a PUCHAR from ExAllocatePool; offset -1 appends;
    reading past the end is STATUS_END_OF_FILE."""
    result = run(scenario(opened("""\
        - allocate_pool: {size: 4, into: p}
        - rtl_fill_memory: {pointer: p, length: 4, value: 0x41}
        - zw_write_file: {handle: h, iosb: iosb, buffer: p, length: 4}
        - zw_write_file: {handle: h, iosb: iosb, buffer: p, length: 2, offset: -1}
        - zw_read_file: {handle: h, iosb: iosb, buffer: p, length: 4, status: s}
        - log: 'read {s:08X}'
        - zw_close: h
        - free_pool: p
        """)), tmp_path)
    assert result.debug_lines == ["read C0000011"]        # the pointer is at the end
    assert result.file("C:\\1.log") == b"A" * 6


def test_set_information_needs_a_record_or_a_rename(tmp_path):
    """Bad input: zw_set_information_file with neither info: nor rename:, info: without
    class:, and rename: with another class, are located errors."""
    found = problems(scenario("""\
        - zw_set_information_file: {handle: h}
        - zw_set_information_file: {handle: h, info: fpi}
        - zw_set_information_file: {handle: h, rename: {name: x}, class: FileBasicInformation}
        """), tmp_path)
    assert any("give either info:" in p for p in found)
    assert any("class: is needed" in p for p in found)
    assert any("the class is FileRenameInformation" in p for p in found)


# -- the steps ------------------------------------------------------------------------------

def test_file_steps_pass_and_fail_on_the_final_content(tmp_path):
    """The file steps compare C: at the end of the run: size, runs of bytes, a pattern,
    existence; each fails with a message when the file differs."""
    path = tmp_path / "s.yaml"
    path.write_text(scenario(top="files: [{path: 'C:\\1.log', data: ['AA*3', 'BB*2']},"
                                 " {path: 'C:\\d', directory: true}]\n"))
    irp = IrpScenario(tmp_path, "s.yaml")
    irp.run_app()
    steps.then_file_size(irp, "C:\\1.log", "5")
    steps.then_file_runs(irp, "C:\\\\1.log", "3 bytes of 0xAA then 2 bytes of 0xBB")
    steps.then_file_holds(irp, "C:\\1.log", "hex: AA AA AA BB BB")
    steps.then_file_exists(irp, "directory", "C:\\d", "exists")
    steps.then_file_exists(irp, "file", "C:\\d", "does not exist")
    steps.then_file_exists(irp, "file", "C:\\nope", "does not exist")
    with pytest.raises(AssertionError, match="is 5 bytes long, expected 4"):
        steps.then_file_size(irp, "C:\\1.log", "4")
    with pytest.raises(AssertionError, match="at offset 2"):
        steps.then_file_runs(irp, "C:\\1.log", "2 bytes of 0xAA then 3 bytes of 0xBB")
    with pytest.raises(AssertionError, match="there is no file"):
        steps.then_file_holds(irp, "C:\\x", "a")
    with pytest.raises(AssertionError, match="is a directory"):
        steps.then_file_size(irp, "C:\\d", "0")
