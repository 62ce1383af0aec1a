"""ExInterlocked list routines (kernel-env §2.5): what each returns, and the lock."""

from __future__ import annotations

import textwrap
from pathlib import Path

from harness.kernel import BugCheckCode
from harness.runner import Session
from harness.scenario import load_scenario_text
from harness.scenario.resolve import resolve


def run(read: str, tmp_path: Path) -> object:
    text = textwrap.dedent("""\
        scenario: t
        title: t
        structs:
          REC: {n: ULONG, ListEntry: LIST_ENTRY}
        drivers:
          - name: D
            devices: [{name: '\\Device\\D', link: '\\??\\D'}]
            state: {head: LIST_ENTRY, lock: KSPIN_LOCK, p: REC*, q: REC*, r: REC*, old: PVOID}
            dispatch:
              IRP_MJ_CREATE: complete
              IRP_MJ_CLOSE: complete
              IRP_MJ_READ:
        """) + textwrap.indent(textwrap.dedent(read), " " * 8) + textwrap.dedent("""\
                - complete
        app:
          - {open: '\\\\.\\D', as: h}
          - {read: {handle: h, length: 1}}
          - {close: h}
        """)
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return Session(resolve(load_scenario_text(text, path))).run_app()


SETUP = """\
- initialize_list_head: head
- allocate_pool: {size: 16, into: p}
- allocate_pool: {size: 16, into: q}
- set: {p->n: 1, q->n: 2}
"""


def test_2_5_ex_interlocked_insert_returns_the_old_first_entry_or_null(tmp_path):
    result = run(SETUP + textwrap.dedent("""\
        - ex_interlocked_insert_head_list: {list: head, entry: p, lock: lock, into: old}
        - log: "first old={old:x}"
        - ex_interlocked_insert_head_list: {list: head, entry: q, lock: lock, into: old}
        - if: {cond: old == p, then: [{log: "second old=p"}]}
        """), tmp_path)
    assert result.debug_lines == ["first old=0", "second old=p"]


def test_2_5_ex_interlocked_insert_tail_returns_the_old_last_entry(tmp_path):
    result = run(SETUP + textwrap.dedent("""\
        - ex_interlocked_insert_tail_list: {list: head, entry: p, lock: lock, into: old}
        - ex_interlocked_insert_tail_list: {list: head, entry: q, lock: lock, into: old}
        - if: {cond: old == p, then: [{log: "old last=p"}]}
        - remove_head_list: {list: head, into: r}
        - log: "head n={r.n}"
        """), tmp_path)
    assert result.debug_lines == ["old last=p", "head n=1"]


def test_2_5_ex_interlocked_remove_head_list_is_null_when_empty(tmp_path):
    result = run(SETUP + textwrap.dedent("""\
        - ex_interlocked_insert_tail_list: {list: head, entry: p, lock: lock}
        - ex_interlocked_remove_head_list: {list: head, lock: lock, into: r}
        - log: "got n={r.n}"
        - ex_interlocked_remove_head_list: {list: head, lock: lock, into: r}
        - log: "then {r:x}"
        """), tmp_path)
    # RemoveHeadList would give the head itself; the interlocked one gives NULL
    assert result.debug_lines == ["got n=1", "then 0"]


def test_2_5_ex_interlocked_on_a_lock_this_cpu_holds_is_0xf(tmp_path):
    result = run(SETUP + textwrap.dedent("""\
        - acquire_spin_lock: lock
        - ex_interlocked_insert_tail_list: {list: head, entry: p, lock: lock}
        """), tmp_path)
    assert result.bugcheck is not None
    assert result.bugcheck.code == BugCheckCode.SPIN_LOCK_ALREADY_OWNED
