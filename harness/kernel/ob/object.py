"""Object types and references: what ObDereferenceObject does when the last goes.

Each kind of object has an OBJECT_TYPE whose DeleteProcedure the owning subsystem
registers (IoFileObjectType's is IopDeleteFile, which sends IRP_MJ_CLOSE). So the
object manager calls up into the I/O manager without importing it, as Windows does.
"""

from __future__ import annotations

from typing import Any, Callable, Generator


class ObjectType:
    """OBJECT_TYPE: the name and the delete procedure of one kind of object."""

    __slots__ = ("name", "delete_procedure")

    def __init__(self, name: str) -> None:
        self.name = name
        self.delete_procedure: Callable[[Any], Generator[Any, Any, None]] | None = None

    def __repr__(self) -> str:
        return f"<OBJECT_TYPE {self.name}>"


def ob_dereference_object_deferred(obj: Any) -> None:
    """ObDereferenceObject from a context that cannot run the deletion itself (raised
    IRQL, an APC): the last reference queues it to a system worker thread, so e.g.
    IRP_MJ_CLOSE then arrives from that thread."""
    obj.reference_count -= 1
    if obj.reference_count == 0:
        obj.kernel.create_thread(obj.object_type.delete_procedure, obj,
                                 name="ObpDeferredDelete")


def ob_dereference_object_inline(obj: Any) -> Generator[Any, Any, None]:
    """ObDereferenceObject at PASSIVE_LEVEL in a thread: the deletion runs inline."""
    obj.reference_count -= 1
    if obj.reference_count == 0:
        yield from obj.object_type.delete_procedure(obj)
