@pitfall
Feature: Pitfall - a counted string copied and appended past its MaximumLength
  A 16-byte WCHAR buffer holds 8 characters. The Rtl string routines never write past
  MaximumLength: a copy truncates without a word, an append refuses with a status the
  driver may ignore (stacks-services 4.10, 4.11).

  Scenario: RtlCopyUnicodeString truncates silently; RtlAppendUnicodeToString fails and changes nothing
    Given the scenario "pitfalls/string_past_maximum_length.yaml"
    # 4.10: n = min(Src->Length 38, Dst->MaximumLength 16) bytes, no NUL (n = MaximumLength)
    # 4.11: Length 16 + 2 > MaximumLength 16: STATUS_BUFFER_TOO_SMALL, Dst unchanged
    Then the debug output is:
      """
      copied: \Device\ (Length 16, MaximumLength 16)
      append: 0xC0000023, still \Device\
      """
    And no bug check occurred
