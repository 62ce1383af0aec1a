"""The configuration manager: the registry (stacks-services §4.C).

``hive`` holds the key tree and how names are parsed, ``info`` the information
structures the queries write, ``keys`` the Zw services, ``rtlreg`` the Rtl helpers
over them. The tree hangs off the kernel as ``kernel.registry``; its root is the Key
object ``\\REGISTRY`` of the object namespace.
"""

from .hive import (CONTROL_SET, CURRENT_CONTROL_SET, SERVICES, ConfigurationManager,  # noqa: F401
                   KeyBody, KeyNode, KeyValue)
from .keys import (key_from_handle, map_key_access, zw_create_key,  # noqa: F401
                   zw_delete_key, zw_delete_value_key, zw_enumerate_key,
                   zw_enumerate_value_key, zw_flush_key, zw_open_key, zw_query_key,
                   zw_query_value_key, zw_set_value_key)
from .rtlreg import (RTL_ROOTS, QueryEntry, RegistryFault, registry_path,  # noqa: F401
                     rtl_check_registry_key, rtl_create_registry_key,
                     rtl_delete_registry_value, rtl_query_registry_values,
                     rtl_write_registry_value)
