@book @chapter6
Feature: CH06-KernelFunctions RegTest - keys and values from a driver (#8, §6.3)
  The RegTest driver (book-experiments.md #8) runs its registry subtests from DriverEntry:
  ZwCreateKey / ZwOpenKey, ZwSetValueKey, ZwQueryValueKey's two-call pattern, ZwQueryKey
  with ZwEnumerateKey / ZwEnumerateValueKey, ZwDeleteKey, and the Rtl helpers under the
  driver's service key (stacks-services 4.17-4.24).

  Scenario: The default run creates Zhangfan and SubItem, then deletes SubItem
    Given the scenario "book/ch06_reg_test.yaml"
    When the application runs
    # book-experiments.md #8 RegTest: CreateRegTest then DeleteItemRegTest; a fresh
    # machine gives REG_CREATED_NEW_KEY for both keys (stacks-services 4.18), and SubItem
    # has no subkeys, so ZwDeleteKey succeeds (4.22)
    Then the debug output is:
      """
      Enter DriverEntry
      The register item is created
      The sub register item is created
      Open register successfully
      Delete the item successfully
      DriverEntry end
      """
    And the registry key "\Registry\Machine\Software\Zhangfan" exists
    And the registry key "\Registry\Machine\Software\Zhangfan\SubItem" does not exist
    And no bug check occurred

  Scenario: Run again, CreateRegTest opens the Zhangfan the first run left
    Given the scenario "book/ch06_reg_test_second_run.yaml"
    When the application runs
    # book-experiments.md #8: "...has been created,and now is opened" (Disposition
    # REG_OPENED_EXISTING_KEY); SubItem was deleted by the first run, so it is new again
    Then the debug output is:
      """
      Enter DriverEntry
      The register item has been created,and now is opened
      The sub register item is created
      Open register successfully
      Delete the item successfully
      DriverEntry end
      """
    And the registry key "\Registry\Machine\Software\Zhangfan\SubItem" does not exist
    And no bug check occurred

  Scenario: SetReg, QueryReg and the enumerate subtests
    Given the scenario "book/ch06_reg_test_values.yaml"
    When the application runs
    # book-experiments.md #8: QueryReg prints "The value:%d" and "The value:%S"; the
    # enumerate tests print "The %d sub item name:" and "The %d sub value name:" with the
    # type. Subkeys come in alphabetical order, values in the order SetReg created them
    # (stacks-services 4.21); names are counted, not NUL-terminated, strings (%wZ)
    Then the debug output is:
      """
      Enter DriverEntry
      The register item is created
      The sub register item is created
      Open register successfully
      Open register successfully
      Open register successfully
      The value:1000
      The value:hello world
      Open register successfully
      The 0 sub item name:SubItem
      Open register successfully
      The 0 sub value name:REG_DWORD value
      The sub value type:REG_DWORD
      The 1 sub value name:REG_SZ value
      The sub value type:REG_SZ
      The 2 sub value name:REG_BINARY value
      The sub value type:REG_BINARY
      DriverEntry end
      """
    And the registry value "REG_DWORD value" of key "\Registry\Machine\Software\Zhangfan" is REG_DWORD 1000
    And the registry value "REG_SZ value" of key "\Registry\Machine\Software\Zhangfan" is REG_SZ "hello world"
    And the registry value "REG_BINARY value" of key "\Registry\Machine\Software\Zhangfan" is REG_BINARY FF*10
    And the registry key "\Registry\Machine\Software\Zhangfan" has the values in order:
      | REG_DWORD value  |
      | REG_SZ value     |
      | REG_BINARY value |
    # QueryRegTest frees the first KEY_VALUE_PARTIAL_INFORMATION but not the second:
    # 12 + 24 bytes ("hello world" and its NUL in UTF-16) of ExAllocatePool's tag leak
    And the pool holds 1 block of 36 bytes tagged "None"
    And no bug check occurred

  Scenario: RtlRegTest writes, reads back and deletes values under the service key
    Given the scenario "book/ch06_reg_test_rtl.yaml"
    When the application runs
    # book-experiments.md #8: the Rtl helpers on RTL_REGISTRY_SERVICES HelloDDK\Zhangfan
    # with DWORD_Value and SZ_Value = "Hello DDK" (stacks-services 4.23, 4.24)
    Then the debug output is:
      """
      Enter DriverEntry
      Create the item successfully
      The item is exist
      Write the DWORD value succuessfully
      Write the REG_SZ value succuessfully
      Query the item successfully
      The item is :100
      delete the value successfully
      DriverEntry end
      """
    And the registry value "SZ_Value" of key "\Registry\Machine\System\CurrentControlSet\Services\HelloDDK\Zhangfan" is REG_SZ "Hello DDK"
    And the registry value "DWORD_Value" of key "\Registry\Machine\System\CurrentControlSet\Services\HelloDDK\Zhangfan" does not exist
    And the registry value "Type" of key "\Registry\Machine\System\CurrentControlSet\Services\HelloDDK" is REG_DWORD 1
    And no bug check occurred
