@races
Feature: Exploring the StartIo cancel race (scenarios/races/)
  The book's CH09 StartIo driver with its CurrentIrp/Cancel check missing, and the same
  driver rewritten with a cancel-safe queue. One thread reads while another, on the other
  CPU, cancels the handle's I/O (CancelIoEx). The model's own schedule never shows the
  race; the explorer controls the choices Windows could make either way.

  Scenario: The missing check completes the IRP twice under some schedule
    Given the scenario "races/cancel_race.yaml"
    When the scenario is explored with 300 schedules
    # io-core §7.2/§7.4: IoCancelIrp wins the cancel lock between IoStartPacket's release
    # and StartIo's acquire; OnCancelIRP completes the IRP; StartIo completes it again:
    # io-core §5.1 0x44
    Then some schedule ends with MULTIPLE_IRP_COMPLETE_REQUESTS (0x44)
    And the minimized failing schedule has at most 2 preemptions

  Scenario: The cancel-safe queue completes every read exactly once
    Given the scenario "races/cancel_race_csq.yaml"
    When the scenario is explored with 300 schedules
    # pnp-hardware §7.5: removal and cancellation are serialized by the queue lock
    Then no schedule fails
    And no schedule bug-checks
    And some schedule completes "r1" with STATUS_CANCELLED
    And some schedule completes "r1" with STATUS_SUCCESS
