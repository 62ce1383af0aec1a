"""Memory (ReactOS ntoskrnl/mm): address spaces, buffers as aliasing views, MDLs."""
