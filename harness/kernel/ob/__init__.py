"""The object manager: the namespace, object types and references (ReactOS ntoskrnl/ob)."""
