"""The simulated Windows kernel. Imports only SimPy and the standard library.

Laid out as ntoskrnl is (ReactOS's ``ntoskrnl/`` is the map): a small core of
``constants``, ``errors`` and ``instrument``; then ``ke`` (the machine: CPUs, IRQL,
threads, the clock, DPCs and APCs; dispatcher objects and waits; timers; spin locks;
device queues), ``mm`` (address spaces, buffers, MDLs), ``ob`` (the namespace, object
types, references) and ``io`` (IRPs, device/driver/file objects, IoCallDriver and
IoCompleteRequest, cancel, StartIo, the file services); ``fs`` (a file system on the C:
volume, a driver above ``io``); ``storage`` (a USB disk's stack: USBSTOR's PDO and
the disk class driver, driver code above ``io`` too); ``system.Kernel`` composes them.
Each imports only the ones before it (a test checks the order). The user-mode
side is ``harness.usermode``, outside the kernel.

Routines are named after the WDK in snake_case (IoCallDriver -> io_call_driver). A
routine that acts on an object takes that object (the machine is reachable from it);
one that does not takes the Kernel first. Routines that can run other driver code or
block are generators: call them with ``yield from`` from driver code, which is itself
written as generator functions. See machine.py for why.
"""

from .constants import *  # noqa: F401,F403 - the WDK constants are the kernel's vocabulary
from .errors import (BufferOverrun, BugCheck, BugCheckHalt, KernelUsageError,  # noqa: F401
                     MachineFrozen, NotModelledError, StatusRaised)
from .instrument import HOOK_NAMES, Instrument  # noqa: F401
from .io.cancel import (io_acquire_cancel_spin_lock, io_cancel_irp,  # noqa: F401
                        io_cancel_thread_io, io_release_cancel_spin_lock)
from .io.device import (DeviceObject, DriverObject, FileObject, copy_io_flags_from,  # noqa: F401
                        io_attach_device_to_device_stack, io_create_device,
                        io_create_symbolic_link, io_delete_device, io_delete_symbolic_link,
                        io_detach_device, io_get_attached_device,
                        io_get_attached_device_reference)
from .io.devstack import (IoDeviceObjectType, io_enumerate_device_object_list,  # noqa: F401
                          io_get_device_attachment_base, io_get_device_attachment_base_ref,
                          io_get_lower_device_object, iop_device_stack, iop_devnode_of,
                          ob_dereference_device, ob_reference_device)
from .io.build import (io_build_asynchronous_fsd_request,  # noqa: F401
                       io_build_device_io_control_request, io_build_synchronous_fsd_request,
                       io_make_associated_irp)
from .io.driver import io_create_driver, iop_invalid_device_request  # noqa: F401
from .io.loader import (DRVO_INITIALIZED, DRVO_LEGACY_DRIVER, DRVO_UNLOAD_INVOKED,  # noqa: F401
                        DriverImage, iop_dead_code, iop_device_released,
                        nt_load_driver, nt_load_driver_service, nt_unload_driver,
                        nt_unload_driver_service)
from .io.power import (po_call_driver, po_resume, po_standby,  # noqa: F401
                       po_start_next_power_irp)
from .io.pnp import (IRP_MN, DevNode, PnpManager, pnp_start_devnode,  # noqa: F401
                     pnp_surprise_remove, pnp_uninstall)
from .io.pnp import (CM_PROB_FAILED_POST_START, CM_PROB_HELD_FOR_EJECT,  # noqa: F401
                     PNP_DEVICE_FAILED, PNP_DEVICE_REMOVED,
                     PNP_DEVICE_RESOURCE_REQUIREMENTS_CHANGED, BusRelations,
                     pnp_enumerate, pnp_query_device_state, pnp_start_stack)
from .io.pnpcaps import DeviceCapabilities  # noqa: F401
from .io.pnpstop import pnp_eject, pnp_rebalance  # noqa: F401
from .io.pnpworker import (io_invalidate_device_relations,  # noqa: F401
                           io_invalidate_device_state, pnp_plug_in, pnp_root_devnode)
from .io.pnpres import (INTERFACE_TYPES, PIC_LEVELS, SHARE_DISPOSITIONS,  # noqa: F401
                        TAG_PNP_RESOURCES, CmPartialResource, DeviceResources,
                        active_processors, hal_get_interrupt_vector, hal_translate_resource)
from .io.interface import (DEVICE_INTERFACE_INCLUDE_NONACTIVE,  # noqa: F401
                           GUID_DEVICE_INTERFACE_ARRIVAL,
                           GUID_DEVICE_INTERFACE_REMOVAL,
                           DeviceInterface, DeviceInterfaceChangeNotification,
                           NotificationEntry, guid_bytes, guid_text,
                           io_get_device_interfaces,
                           io_register_device_interface, io_register_plug_play_notification,
                           io_set_device_interface_state,
                           io_unregister_plug_play_notification_ex)
from .io.file import (io_get_device_object_pointer, io_get_related_device_object,  # noqa: F401
                      nt_cancel_io_file, nt_close, nt_create_file, nt_device_io_control_file,
                      nt_query_information_file, nt_read_file, nt_set_information_file,
                      nt_write_file,
                      ob_dereference_file_object_inline)
from .io.iomgr import io_call_driver, io_complete_request, iop_complete_request  # noqa: F401
from .io.completion import (FILE_SKIP_COMPLETION_PORT_ON_SUCCESS,  # noqa: F401
                            FILE_SKIP_SET_EVENT_ON_HANDLE, FO_SKIP_COMPLETION_PORT,
                            FO_SKIP_SET_EVENT, IO_COMPLETION_ALL_ACCESS,
                            IO_COMPLETION_MODIFY_STATE, CompletionPacket, FileCompletionInformation,
                            FileIoCompletionNotificationInformation, IoCompletion,
                            io_set_io_completion, nt_close_io_completion,
                            nt_create_io_completion, nt_remove_io_completion,
                            nt_set_completion_information, nt_set_completion_notification,
                            nt_set_io_completion)
from .ke.queue import (KQueue, ke_initialize_queue, ke_insert_queue,  # noqa: F401
                       ke_remove_queue, ke_rundown_queue)
from .io.cancelfile import (nt_cancel_io_file_ex,  # noqa: F401
                            nt_cancel_synchronous_io_file)
from .io.fileinfo import (file_rename_information, large_integer,  # noqa: F401
                          read_large_integer)
from .io.vpb import Vpb  # noqa: F401
from .fs import (MAX_FILE_SIZE, VOLUME_DEVICE, FsNode, Vcb, fs_add_file,  # noqa: F401
                 fs_mount_volume)
from .storage import (DEFAULT_BLOCK_SIZE, DEFAULT_BLOCKS, DEFAULT_LATENCY,  # noqa: F401
                      ClassFdo, ScsiLun, Srb, UsbstorPdo, class_fdo,
                      class_read_write, class_start_device, disk_device_control,
                      disk_is_writable, srb_at, stack_srb, usbstor_dispatch_pnp,
                      usbstor_dispatch_scsi, usbstor_report_lun)
from .io.irp import (Irp, IoStackLocation, IoStatusBlock, KernelMode, UserMode,  # noqa: F401
                     io_allocate_irp, io_copy_current_irp_stack_location_to_next, io_free_irp,
                     io_get_current_irp_stack_location, io_get_function_code_from_ctl_code,
                     io_get_next_irp_stack_location, io_initialize_irp, io_mark_irp_pending,
                     io_reuse_irp, io_set_cancel_routine, io_set_completion_routine,
                     io_set_completion_routine_ex, io_set_next_irp_stack_location,
                     io_skip_current_irp_stack_location)
from .hw.device import (HardwareDevice, Latched, LevelSensitive, Reaction,  # noqa: F401
                        Register)
from .io.interrupt import (io_connect_interrupt, io_disconnect_interrupt,  # noqa: F401
                           io_initialize_dpc_request, io_request_dpc)
from .ke.interrupt import KInterrupt, ke_synchronize_execution  # noqa: F401
from .io.csq import (IoCsq, IoCsqIrpContext, io_csq_insert_irp,  # noqa: F401
                     io_csq_remove_irp, io_csq_remove_next_irp)
from .io.iotimer import (IoTimer, io_initialize_timer, io_start_timer,  # noqa: F401
                         io_stop_timer)
from .io.remlock import (IoRemoveLock, io_acquire_remove_lock,  # noqa: F401
                         io_initialize_remove_lock, io_release_remove_lock,
                         io_release_remove_lock_and_wait)
from .io.startio import (io_set_start_io_attributes, io_start_next_packet,  # noqa: F401
                         io_start_packet)
from .io.zw import (io_get_base_file_system_device_object,  # noqa: F401
                    ob_reference_object_by_name, zw_close, zw_create_file,
                    zw_device_io_control_file, zw_open_file, zw_open_symbolic_link_object,
                    zw_query_information_file, zw_query_symbolic_link_object, zw_read_file,
                    zw_set_information_file)
from .ke.devqueue import (KDeviceQueue, ke_initialize_device_queue,  # noqa: F401
                          ke_insert_by_key_device_queue, ke_insert_device_queue,
                          ke_remove_by_key_device_queue, ke_remove_device_queue,
                          ke_remove_entry_device_queue)
from .ke.clock import (PERFORMANCE_FREQUENCY, ke_query_interrupt_time,  # noqa: F401
                       ke_query_performance_counter, ke_query_system_time, ke_query_tick_count,
                       ke_query_time_increment, ke_stall_execution_processor)
from .ke.dispatcher import (DispatcherObject, KEvent, KSemaphore, WaitAll,  # noqa: F401
                            WaitAny, ke_clear_event, ke_initialize_event,
                            ke_initialize_semaphore, ke_pulse_event, ke_read_state_event,
                            ke_read_state_semaphore, ke_release_semaphore, ke_reset_event,
                            ke_set_event, ke_wait_for_multiple_objects,
                            ke_wait_for_single_object)
from .ke.machine import (BOOT_SYSTEM_TIME, DPC_WATCHDOG_DPCS,  # noqa: F401
                         KERNEL_STACK_CALL_LEVELS, Cpu, KThread, Machine, ThreadTerminated,
                         run_nonblocking)
from .ke.mutex import (FastMutex, GuardedMutex, KMutant, ex_acquire_fast_mutex,  # noqa: F401
                       ex_initialize_fast_mutex, ex_release_fast_mutex,
                       ex_try_to_acquire_fast_mutex, ke_acquire_guarded_mutex,
                       ke_initialize_guarded_mutex, ke_release_guarded_mutex,
                       ke_try_to_acquire_guarded_mutex, ke_initialize_mutant,
                       ke_initialize_mutex, ke_read_state_mutex, ke_release_mutant,
                       ke_release_mutex)
from .ke.schedule import Chooser, ChoosingEnvironment, ke_preemption_point  # noqa: F401
from .ke.spinlock import (KSpinLock, ex_interlocked, ex_interlocked_add_ulong,  # noqa: F401
                          ke_acquire_in_stack_queued_spin_lock,
                          ke_acquire_spin_lock, ke_test_spin_lock,
                          ke_try_to_acquire_spin_lock_at_dpc_level,
                          ke_acquire_spin_lock_at_dpc_level, ke_acquire_spin_lock_spinning,
                          ke_initialize_spin_lock, ke_release_spin_lock,
                          ke_release_spin_lock_from_dpc_level, spin_while_held)
from .cm import (CURRENT_CONTROL_SET, SERVICES, ConfigurationManager,  # noqa: F401
                 KeyBody, KeyNode, QueryEntry, RegistryFault, registry_path,
                 rtl_check_registry_key, rtl_create_registry_key, rtl_delete_registry_value,
                 rtl_query_registry_values, rtl_write_registry_value, zw_create_key,
                 zw_delete_key, zw_delete_value_key, zw_enumerate_key,
                 zw_enumerate_value_key, zw_flush_key, zw_open_key, zw_query_key,
                 zw_query_value_key, zw_set_value_key)
from .ex.event import (io_create_event, zw_clear_event, zw_create_event,  # noqa: F401
                       zw_duplicate_object,
                       zw_open_event, zw_reset_event, zw_set_event, zw_wait_for_single_object)
from .ex.probe import probe_for_read, probe_for_write  # noqa: F401
from .ex.timer import (ETimer, zw_cancel_timer, zw_create_timer,  # noqa: F401
                       zw_open_timer, zw_set_timer)
from .ex.time import (ex_local_time_to_system_time,  # noqa: F401
                      ex_system_time_to_local_time, parse_time_zone, rtl_time_fields_to_time,
                      rtl_time_to_time_fields)
from .ps.thread import (NT_CURRENT_PROCESS, EProcess, process_object,  # noqa: F401
                        ke_query_priority_thread, ke_set_base_priority_thread,
                        ke_set_priority_thread, ps_create_system_thread, ps_get_current_process,
                        ps_get_process_image_file_name, ps_terminate_system_thread)
from .ke.timers import (KDpc, KTimer, ke_cancel_timer, ke_delay_execution_thread,  # noqa: F401
                        ke_initialize_dpc, ke_initialize_timer, ke_initialize_timer_at,
                        ke_initialize_timer_ex,
                        ke_insert_queue_dpc, ke_read_state_timer, ke_remove_queue_dpc,
                        ke_set_importance_dpc, ke_set_target_processor_dpc,
                        ke_set_timer, ke_set_timer_ex)
from .mm.memory import (Buffer, Mdl, io_allocate_mdl, io_build_partial_mdl,  # noqa: F401
                        io_free_mdl, mm_get_mdl_byte_count, mm_get_mdl_byte_offset,
                        mm_get_mdl_virtual_address, mm_get_system_address_for_mdl_safe,
                        mm_prepare_mdl_for_reuse, mm_probe_and_lock_pages)
from .io.userfile import (FS_QUERY_LENGTHS, FileFsDeviceInformation,  # noqa: F401
                          FileFsVolumeInformation, iop_query_information, iop_set_information,
                          nt_duplicate_object, nt_flush_buffers_file,
                          nt_query_volume_information_file)
from .mm.usermem import (UnmappedUserPointer, UserAddressSpace, UserBuffer,  # noqa: F401
                         mm_access_fault, never_mapped)
from .mm.lookaside import (LookasideList, ex_allocate_from_lookaside_list,  # noqa: F401
                           ex_delete_lookaside_list, ex_free_to_lookaside_list,
                           ex_initialize_lookaside_list)
from .mm.pool import (POOL_TYPES, TAG_NONE, PoolBlock, ex_allocate_pool,  # noqa: F401
                      ex_allocate_pool_with_tag, ex_free_pool_with_tag, tag_text)
from .ob.handle import (KERNEL_HANDLE_BIT, HandleTable,  # noqa: F401
                        ObjectTable, handle_table, ob_reference_object_by_handle,
                        object_type_name)
from .ob.object import (ObjectType, ob_dereference_object_deferred,  # noqa: F401
                        ob_dereference_object_inline)
from .system import Kernel  # noqa: F401


def dbg_print(kernel: Kernel, text: str) -> None:
    """DbgPrint / KdPrint: one line of debug output (a trace event, DbgView style)."""
    kernel.hooks.dbg_print(text)
