Feature: A driver reports its device failed (IoInvalidateDeviceState, PNP_DEVICE_FAILED)
  IoInvalidateDeviceState only queues a request: the PnP worker sends
  QUERY_PNP_DEVICE_STATE later, and PNP_DEVICE_FAILED in the answer makes the PnP manager
  tear the device down through the surprise-removal path with problem 43
  (pnp-hardware §2.7, §2.10).

  Scenario: The IOCTL that notices the failure returns before the query comes
    Given the scenario "examples/pnp_device_failed.yaml"
    When the application runs
    # §2.5 item 3: the first start's query (nothing to report); §2.7: the call returns
    # at once, the query comes from the PnP worker after the IOCTL completes
    Then the debug output contains in order:
      | QUERY_PNP_DEVICE_STATE broken=0 |
      | hardware failure noticed        |
      | IoInvalidateDeviceState returned |
      | QUERY_PNP_DEVICE_STATE broken=1 |
      | SURPRISE_REMOVAL                |
      | REMOVE_DEVICE                   |
      | Unload                          |
    And the debug line "QUERY_PNP_DEVICE_STATE broken=1" was printed in process "System"
    And "c1" returned TRUE with 0 bytes
    # §2.10: REMOVE_DEVICE only after the app's last close (100 ms later, one tick on)
    And the debug line "REMOVE_DEVICE" was printed at 0.109375 s
    And the debug output does not contain "QUERY_REMOVE"
    And the device "ROOT\UNKNOWN\0000" has problem code 43
    And the object "\Driver\FailWDM" does not exist
    And no bug check occurred
    And no thread is blocked

  Scenario: Driven step by step, the query follows the IOCTL
    Given the scenario "examples/pnp_device_failed.yaml"
    When the app opens "\\.\FailWDM" as "h"
    And the app sends IOCTL "IOCTL_BREAK" to "h" as "c1"
    # the PnP worker runs once the app's thread lets it (a System thread, asynchronous)
    And 1 ms passes
    Then the debug output contains "SURPRISE_REMOVAL" 1 time
    And the debug output does not contain "REMOVE_DEVICE"
    When the app closes "h"
    And 1 ms passes
    Then the debug output contains "REMOVE_DEVICE" 1 time
    And the device "ROOT\UNKNOWN\0000" has problem code 43
