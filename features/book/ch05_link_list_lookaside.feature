@book @chapter5
Feature: CH05-LinkListLookaside - a LIST_ENTRY of pool records and a paged lookaside list (#6, §5.2-§5.3)
  LinkListTest inserts ten records 0..9 at the head and removes them from the tail;
  LookasideTest allocates fifty 64-byte entries from a paged lookaside list, frees them
  back and deletes the list.

  Scenario: The records come out 0 to 9, and nothing stays allocated
    Given the scenario "book/ch05_link_list_lookaside.yaml"
    When the application runs
    # book-experiments.md #6 "Observed output": LinkList prints 0 through 9 in ascending
    # order - the first allocation ends up at the tail (stacks-services 4.1); Lookaside
    # prints nothing
    Then the debug output is:
      """
      Begin insert to link list
      Begin remove from link list
      0
      1
      2
      3
      4
      5
      6
      7
      8
      9
      """
    # every record was freed; stacks-services 4.2: the lookaside list cached the first
    # frees (its depth) and gave the rest back to the pool, and ExDeletePagedLookasideList
    # freed the cached ones - tag '1234' is the ULONG 0x31323334, "4321" in memory
    And the pool holds 0 blocks of 0 bytes tagged "None"
    And the pool holds 0 blocks of 0 bytes tagged "4321"
    And no bug check occurred
