@pitfall @chapter5
Feature: Pitfall - pool misuse the allocator catches by itself
  Paged pool above APC_LEVEL and a double free, with and without Driver Verifier.

  Scenario: Paged pool requested under a spin lock is bug check 0xC2 0x08
    Given the scenario "pitfalls/paged_pool_at_dispatch.yaml"
    When the application runs
    # stacks-services 4.3: 0xC2 (0x08, IRQL, pool type, size): PagedPool is type 1
    Then the machine bug-checked with BAD_POOL_CALLER (0xC2)
    And the bug check parameters are 0x08, 2, 1, 64

  Scenario: Under Driver Verifier the same request is 0xC4 0x01
    Given the scenario "pitfalls/paged_pool_at_dispatch.yaml" with machine.verifier=true
    When the application runs
    # verifier-rules R76: 0xC4 (0x01 paged pool above APC_LEVEL, IRQL, type, size)
    Then the machine bug-checked with DRIVER_VERIFIER_DETECTED_VIOLATION (0xC4)
    And the bug check parameters are 0x01, 2, 1, 64

  Scenario: A block freed twice is bug check 0xC2 0x07 naming the block
    Given the scenario "pitfalls/double_free_pool.yaml"
    When the application runs
    # stacks-services 4.4: a small block freed twice: 0xC2 (0x07, 0, header, block)
    Then the machine bug-checked with BAD_POOL_CALLER (0xC2)
    And the bug check parameter 1 is 0x07
    And the bug check parameter 4 is pointer printed after "block 0x"
    And the debug output does not contain "not reached"
