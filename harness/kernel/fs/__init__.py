"""A file system: the machine's C: volume, as NTFS presents it to a driver (stacks-services
§4.D, rules 4.25-4.29).

A file system is a driver above the I/O manager: IopParseDevice sends the IRP_MJ_CREATE
of ``\\??\\C:\\1.log`` through the volume's VPB to the file system's volume device, and
every later request on that file object goes there too (io/vpb.py). So this package
sits above ``io`` and only implements dispatch routines: ``create`` (the dispositions,
share access, write protection), ``readwrite`` (offsets, end of file, extension),
``information`` (query and set classes, delete pending, rename), ``cleanup`` (share
release, delete on last close); ``tree`` holds the files, ``volume`` the VCB and CCB,
``mount`` builds the volume at boot.

Simplified, and said so where it shows: requests complete at once (no disk, no cache
manager, no paging I/O), one unnamed data stream per file, no security descriptors,
no directory enumeration or FSCTLs, one volume (C:).
"""

from .mount import VOLUME_DEVICE, fs_add_file, fs_mount_volume  # noqa: F401
from .tree import CLUSTER_SIZE, MAX_FILE_SIZE, FsNode  # noqa: F401
from .volume import Ccb, Vcb  # noqa: F401
