"""The storage stack of a USB mass-storage disk (stacks-services §3): USBSTOR's disk PDO,
the logical unit behind it, and the disk class driver's SRB traffic.

Bottom to top, as stacks-services 3.1 draws it (the host controller, the hubs and the
USB device's own devnode are left out): a LUN (``lun``: a block device executing CDBs),
USBSTOR's per-LUN PDO (``usbstor``: reports it, queues its SRBs, completes them from a
DPC after the transfer's latency), [the device's LowerFilters], disk.sys's FDO
(``classpnp``: ClassSendSrbSynchronous, ClassInterpretSenseInfo, ClassModeSense,
IOCTL_DISK_IS_WRITABLE, ClassReadWrite's transfer packets). ``scsi`` has the SRB as the
pool memory a filter reads and writes, CDBs and sense data. Like ``fs`` this package is
driver code above the I/O manager: the scenario's built-in USBSTOR and Disk drivers
(``scenarios/drivers/builtin/``) call it through their blocks.
"""

from .classpnp import (MAX_TRANSFER, MAXIMUM_RETRIES, MODE_DATA_SIZE, ClassFdo,  # noqa: F401
                       class_fdo, class_interpret_sense_info, class_mode_sense,
                       class_read_write, class_send_srb_synchronous, class_start_device,
                       disk_device_control, disk_is_writable)
from .lun import (DEFAULT_BLOCK_SIZE, DEFAULT_BLOCKS, DEFAULT_LATENCY, ScsiLun,  # noqa: F401
                  ScsiResult)
from .scsi import (CDB_OFFSET, SRB_ARGUMENT, SRB_FIELD_OFFSETS, TAG_MODE_DATA,  # noqa: F401
                   TAG_SENSE, TAG_SRB, Srb, cdb10, cdb10_lba, cdb6, sense_data, sense_key_of,
                   set_stack_srb, srb_allocate, srb_at, srb_free, srb_status, stack_srb)
from .usbstor import (UsbstorPdo, usbstor_dispatch_pnp, usbstor_dispatch_scsi,  # noqa: F401
                      usbstor_report_lun)
